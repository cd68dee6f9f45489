"""View functions called directly, with a real request object and the test transaction."""

import pytest
from pyramid.httpexceptions import HTTPBadRequest, HTTPMovedPermanently, HTTPNotFound

from pybackend.models.item import TOPIC_KINDS
from pybackend.routes import item_factory
from pybackend.services.seed import read_seed
from pybackend.views.topics import TOPICS_PER_PAGE, topic_detail, topic_list


def test_topic_factory_loads_the_topic(app_request):
    app_request.matchdict = {"slug": "flask"}
    resource = item_factory("topic")(app_request)
    assert resource.item.slug == "flask"


def test_topic_factory_redirects_old_slugs(app_request):
    app_request.matchdict = {"slug": "zmq"}
    with pytest.raises(HTTPMovedPermanently) as raised:
        item_factory("topic")(app_request)
    assert raised.value.location.endswith("/topics/zeromq")


def test_topic_factory_404s_unknown_and_wrong_type(app_request):
    app_request.matchdict = {"slug": "spotify"}
    with pytest.raises(HTTPNotFound):
        item_factory("topic")(app_request)


def test_topic_detail_gathers_links(app_request):
    app_request.matchdict = {"slug": "kafka"}
    app_request.context = item_factory("topic")(app_request)
    result = topic_detail(app_request)
    assert "Kafka" in result["page"].title
    assert "spotify" in {page.item.slug for _, page in result["used_by"]}
    assert any(page.item.slug == "zeromq" for _, page, _ in result["related"])


def test_topic_list_rejects_unknown_kind(app_request):
    app_request.GET["kind"] = "nope"
    with pytest.raises(HTTPBadRequest):
        topic_list(app_request)


def test_topic_list_groups_by_kind(app_request):
    app_request.matched_route = app_request.registry.introspector.get("routes", "topics")["object"]
    result = topic_list(app_request)
    seed_topics = read_seed()["topic"]
    assert len(seed_topics) <= TOPICS_PER_PAGE  # the whole seed fits on one page
    seed_kinds = {topic["kind"] for topic in seed_topics}
    assert len(seed_kinds) > 1
    assert [kind for kind, _ in result["groups"]] == [k for k in TOPIC_KINDS if k in seed_kinds]
    for kind, pages in result["groups"]:
        assert sorted(page.item.slug for page in pages) == sorted(
            topic["slug"] for topic in seed_topics if topic["kind"] == kind
        )
    assert result["pager"].pages == 1
