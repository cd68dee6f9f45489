"""Item page paths are built without route generation, and say exactly what it says."""

import pytest
from pyramid import traversal

from pybackend.i18n import localized_route_path, route_name_for


@pytest.mark.parametrize("name", ["topic", "example"])
@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("slug", ["django", "a", "python-3-13", "x1-y2-z3"])
def test_an_item_path_is_the_route_s_own(app_request, name, lang, slug):
    expected = app_request.route_path(route_name_for(lang, name), slug=slug)
    assert localized_route_path(app_request, name, lang=lang, slug=slug) == expected
    assert app_request.lroute_path(name, lang=lang, slug=slug) == expected


def test_other_slugs_and_queries_take_the_route(app_request):
    # Not a slug of the plain form: quoted by the route as before (it matches no page).
    assert localized_route_path(app_request, "topic", lang="id", slug="Ä b") == "/topics/%C3%84%20b"
    with_query = localized_route_path(app_request, "topic", lang="en", slug="a", _query={"x": "1"})
    assert with_query == "/en/topics/a?x=1"
    assert localized_route_path(app_request, "topics", lang="en") == "/en/topics"


def test_item_paths_leave_pyramid_s_segment_cache_alone(app_request):
    before = len(traversal._segment_cache)
    for n in range(500):
        localized_route_path(app_request, "topic", lang="en", slug=f"made-up-{n}")
    assert len(traversal._segment_cache) == before
