"""ETags, 304s and the page cache, with content committed the way editors commit it."""

import time

import pytest
import transaction
import webtest
from sqlalchemy import select

from pybackend import main, models
from pybackend.models import Item

CACHEABLE = [
    "/",
    "/topics",
    "/topics/django",
    "/examples",
    "/examples/reddit",
    "/en/",
    "/en/topics",
    "/en/topics/django",
    "/en/examples",
    "/en/examples/reddit",
]


def make_app(app_settings, dbengine, **overrides):
    settings = {**app_settings, "pybackend.page_cache": "true", **overrides}
    return webtest.TestApp(
        main({}, dbengine=dbengine, **settings), extra_environ={"HTTP_HOST": "example.com"}
    )


@pytest.fixture
def cached_app(app_settings, dbengine):
    return make_app(app_settings, dbengine)


@pytest.fixture
def edit(cached_app):
    """Commit a change to a topic's Indonesian title, and put it back afterwards."""
    factory = cached_app.app.registry["dbsession_factory"]
    changed = []

    def set_title(slug, title):
        with transaction.manager:
            session = models.get_tm_session(factory)
            item = session.scalars(select(Item).where(Item.slug == slug)).one()
            previous = item.texts["id"].title
            item.texts["id"].title = title
        return previous

    def change(slug, title):
        changed.append((slug, set_title(slug, title)))

    yield change
    for slug, title in reversed(changed):
        set_title(slug, title)


def dated(cached_app, path):
    """The page once it may carry a Last-Modified: within a second of a change (an earlier
    test's commit) the date would lie in the future, so it is left out."""
    res = cached_app.get(path)
    deadline = time.monotonic() + 3
    while res.last_modified is None and time.monotonic() < deadline:
        time.sleep(0.2)
        res = cached_app.get(path)
    return res


@pytest.mark.parametrize("path", CACHEABLE)
def test_public_pages_are_cacheable_with_validators(cached_app, path):
    res = dated(cached_app, path)
    assert res.etag
    assert res.last_modified
    assert res.headers["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    # One copy for every anonymous reader, whatever other cookies they carry.
    assert "Cookie" not in res.headers.get("Vary", "")
    assert res.headers["Surrogate-Key"]


@pytest.mark.parametrize("path", CACHEABLE)
def test_conditional_requests_answer_304(cached_app, path):
    res = dated(cached_app, path)
    again = cached_app.get(path, headers={"If-None-Match": f'"{res.etag}"'}, status=304)
    assert again.body == b""
    assert again.etag == res.etag
    since = res.headers["Last-Modified"]
    cached_app.get(path, headers={"If-Modified-Since": since}, status=304)


def test_etags_differ_per_page(cached_app):
    etags = {cached_app.get(path).etag for path in CACHEABLE}
    assert len(etags) == len(CACHEABLE)


def test_a_stale_etag_gets_the_full_page(cached_app):
    res = cached_app.get("/topics/django", headers={"If-None-Match": '"g0-0000000000000000"'})
    assert res.status_int == 200 and "Django" in res.text


def test_an_edit_changes_the_etag_and_the_cached_page(cached_app, edit):
    first = cached_app.get("/topics/flask")
    assert cached_app.get("/topics/flask").text == first.text  # served from the cache
    edit("flask", "Flask (diubah)")
    res = cached_app.get("/topics/flask", headers={"If-None-Match": f'"{first.etag}"'})
    assert res.status_int == 200, "a 304 must never hide a change"
    assert "Flask (diubah)" in res.text
    assert res.etag != first.etag
    # Other pages showing the title change too (the list, the home page).
    assert "Flask (diubah)" in cached_app.get("/topics").text


def test_another_process_sees_an_edit_within_its_ttl(app_settings, dbengine, cached_app, edit):
    other = make_app(app_settings, dbengine, **{"pybackend.generation_ttl": "0.3"})
    assert "Celery (diubah)" not in other.get("/topics/celery").text
    edit("celery", "Celery (diubah)")
    deadline = time.monotonic() + 3
    while "Celery (diubah)" not in other.get("/topics/celery").text:
        assert time.monotonic() < deadline, "the edit did not reach the other process"
        time.sleep(0.05)


def test_an_invented_session_cookie_is_served_as_anonymous(cached_app):
    anonymous = cached_app.get("/topics/django")
    cached_app.set_cookie("pybackend_session", "x" * 32)
    res = cached_app.get("/topics/django")
    assert res.headers["Cache-Control"] == anonymous.headers["Cache-Control"]
    assert res.etag == anonymous.etag and res.body == anonymous.body


def test_errors_and_probes_are_not_cached(cached_app):
    assert cached_app.get("/nope", status=404).headers["Cache-Control"] == "no-store"
    assert cached_app.get("/healthz").headers["Cache-Control"] == "no-store"
    res = cached_app.get("/topics/zmq", status=301)
    assert "public" not in res.headers.get("Cache-Control", "")


def test_cached_pages_still_get_fresh_request_ids_and_security_headers(cached_app):
    first = cached_app.get("/examples")
    second = cached_app.get("/examples")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert second.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in second.headers["Content-Security-Policy"]


def test_head_is_answered_from_the_same_validators(cached_app):
    res = cached_app.get("/topics")
    head = cached_app.head("/topics")
    assert head.etag == res.etag and head.body == b""


def test_a_304_carries_the_validators_and_security_headers_but_no_body_or_type(cached_app):
    res = dated(cached_app, "/topics/django")
    again = cached_app.get(
        "/topics/django", headers={"If-None-Match": f'W/"{res.etag}", "other"'}, status=304
    )
    assert again.headers["ETag"] == f'"{res.etag}"'
    assert again.headers["Last-Modified"] == res.headers["Last-Modified"]
    assert again.headers["Cache-Control"] == res.headers["Cache-Control"]
    assert again.headers["X-Content-Type-Options"] == "nosniff"
    assert again.headers["X-Request-Id"]
    assert "Content-Type" not in again.headers and again.body == b""
    cached_app.get("/topics/django", headers={"If-None-Match": "*"}, status=304)


def test_a_changed_static_file_is_never_answered_304_from_the_content_date(cached_app):
    """A stylesheet deployed after the last content change must reach browsers."""
    import email.utils
    import os
    from pathlib import Path

    import pybackend

    page = dated(cached_app, "/topics/django")
    content_date = email.utils.parsedate_to_datetime(page.headers["Last-Modified"])
    css = Path(pybackend.__file__).parent / "static" / "css" / "site.css"
    before = css.stat()
    newer = content_date.timestamp() + 3600  # deployed an hour after the last edit
    os.utime(css, (newer, newer))
    try:
        res = cached_app.get(
            "/static/css/site.css", headers={"If-Modified-Since": page.headers["Last-Modified"]}
        )
        assert res.status_int == 200 and b"{" in res.body
    finally:
        os.utime(css, (before.st_atime, before.st_mtime))


def test_probes_never_wait_for_the_purge_poll(cached_app, monkeypatch):
    """/healthz must answer while the database hangs: it never reaches the poll."""
    clock = cached_app.app.registry["tag_clock"]

    def hanging():
        raise AssertionError("the probe looked for purges")

    monkeypatch.setattr(clock, "sync", hanging)
    assert cached_app.get("/healthz").json == {"status": "ok"}
    # A page does look (the error becomes a branded 500 in pybackend/faults.py).
    assert cached_app.get("/topics", expect_errors=True).status_int == 500
