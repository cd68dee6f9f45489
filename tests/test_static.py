"""Static files: URLs busted by a hash of the file, a year's max-age when the hash matches."""

import os
import re
import shutil

import pytest

from pybackend import static

SITE_CSS = "pybackend:static/css/site.css"


def test_pages_link_static_files_by_their_hash(testapp):
    page = testapp.get("/topics/django")
    links = re.findall(r'href="(/static/css/site\.css[^"]*)"', page.text)
    assert len(links) == 1 and re.fullmatch(r"/static/css/site\.css\?v=[0-9a-f]{12}", links[0])
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_busted_url_is_immutable_for_a_year(testapp, app_request):
    url = app_request.static_path(SITE_CSS)
    res = testapp.get(url)
    assert res.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert res.content_type == "text/css"
    # Revalidating it (a browser's reload) keeps the same promise.
    again = testapp.get(url, headers={"If-Modified-Since": res.headers["Last-Modified"]})
    assert again.status_int == 304
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?v=", "?v=%C3%A9", "?other=1"])
def test_any_other_url_of_the_file_keeps_the_short_max_age(testapp, query):
    res = testapp.get("/static/css/site.css" + query)
    assert res.headers["Cache-Control"] == f"max-age={static.SHORT_MAX_AGE}"


def test_a_version_that_is_not_utf8_is_refused(testapp):
    testapp.get("/static/css/site.css?v=%ff", status=400)


def test_a_changed_file_gets_a_new_url(app, app_request, tmp_path):
    root = tmp_path / "static"
    shutil.copytree(os.path.dirname(static._STATIC_ROOT + "/"), root)
    buster = app.registry["static_cache_buster"]
    original = buster.root
    buster.root = str(root)
    try:
        before = app_request.static_path(SITE_CSS)
        assert before == app_request.static_path(SITE_CSS)  # stable while the file is
        css = root / "css" / "site.css"
        css.write_text(css.read_text() + "\n/* changed */\n")
        after = app_request.static_path(SITE_CSS)
        assert after != before
        assert after.split("?")[0] == before.split("?")[0] == "/static/css/site.css"
    finally:
        buster.root = original


def test_a_missing_file_still_gets_a_url(app_request):
    assert app_request.static_path("pybackend:static/css/nothing.css").endswith("?v=0")
