"""'Edit this page': a logged-in editor reading a public page gets a link to its edit form;
anonymous pages, stored and cached, stay byte for byte what they were."""

import zlib

import pytest
from sqlalchemy import select

from pybackend.models import Item, RenderedPage
from pybackend.services import pages
from tests.functional.admin_helpers import logged_in

PAGES = [
    ("topic", "django", "/topics/django"),
    ("topic", "django", "/en/topics/django"),
    ("example", "instagram", "/examples/instagram"),
]


def edit_links(res):
    return [a["href"] for a in res.html.select(".edit-this-page a")]


@pytest.mark.parametrize(("item_type", "slug", "path"), PAGES)
def test_anonymous_pages_have_no_link_and_stay_identical(testapp, dbsession, item_type, slug, path):
    item = dbsession.scalars(select(Item).where(Item.type == item_type, Item.slug == slug)).one()
    pages.store_pages(dbsession, [item.id])
    stored = dbsession.get(RenderedPage, path)
    anonymous = testapp.get(path)
    assert edit_links(anonymous) == []
    assert anonymous.body == zlib.decompress(stored.body)
    assert anonymous.headers["Cache-Control"].startswith("public")
    logged_in(testapp, dbsession)
    editor = testapp.get(path)
    assert edit_links(editor) == [f"/admin/{item_type}s/{item.id}"]
    assert editor.headers["Cache-Control"] == "private, no-store"
    testapp.get(editor.html.select_one(".edit-this-page a")["href"], status=200)
    # The editor's visit stored nothing: the anonymous page is still the same bytes.
    dbsession.expire_all()
    assert zlib.decompress(dbsession.get(RenderedPage, path).body) == anonymous.body
    testapp.reset()
    assert testapp.get(path).body == anonymous.body
