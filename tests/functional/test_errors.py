"""Bad input gets a clear 4xx, never a 500; error pages are branded and say nothing internal."""

import pytest
from sqlalchemy.exc import OperationalError

from pybackend.services import content

NOT_FOUND = [
    "/nope",
    "/topics/no-such-topic",
    "/examples/no-such-example",
    "/topics/Django",
    "/topics/django%00",
    "/topics/%00",
    "/topics/a--b",
    "/topics/" + "a" * 500,
    "/static/../setup.py",
    "/static/%2e%2e/%2e%2e/setup.py",
    "/static/..%2f..%2fsetup.py",
    "/static/css/",
    "/static/.gitignore",
    "/en/nope",
    "/topics/django/extra",
    "/topics/django%0A",
    "/examples/spotify%0a",
]

BAD_REQUEST = [
    "/topics/%ff",
    "/topics/%c3%28",
    "/%ff%fe",
    "/en/topics/%e2%82",
    "/topics?page=%ff",
    "/topics?page=0",
    "/topics?page=-1",
    "/topics?page=abc",
    "/topics?page=1.5",
    "/topics?page=99999999999999999999999",
    "/topics?page=1&page=2",
    "/topics?page=%EF%BC%91",  # a full-width digit one
    "/examples?page=0",
    "/topics?kind=nope",
    "/topics?kind=library&kind=framework",
]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_not_found(testapp, path):
    res = testapp.get(path, status=404)
    assert "Halaman tidak ditemukan" in res.text or "Page not found" in res.text


@pytest.mark.parametrize("path", BAD_REQUEST)
def test_bad_request(testapp, path):
    res = testapp.get(path, status=400)
    assert "<h1" in res.text


def test_page_past_the_end_is_404(testapp):
    testapp.get("/topics?page=2", status=404)
    testapp.get("/topics?page=100000", status=404)


def test_error_pages_are_in_the_reader_language(testapp):
    res = testapp.get("/en/nope", status=404)
    assert '<html lang="en">' in res.text
    assert "Page not found" in res.text
    res = testapp.get("/nope", status=404)
    assert '<html lang="id">' in res.text


def test_error_page_shows_the_request_id_and_no_store(testapp):
    res = testapp.get("/nope", status=404)
    request_id = res.headers["X-Request-Id"]
    assert request_id in res.html.find(class_="request-id").get_text()
    assert "no-store" in res.headers["Cache-Control"]


def test_wrong_method_is_405_with_allow(testapp):
    for path in ("/", "/topics", "/en/topics/django"):
        res = testapp.post(path, status=405)
        assert res.headers["Allow"] == "GET, HEAD"
    testapp.delete("/examples/spotify", status=405)


def test_head_works(testapp):
    res = testapp.head("/topics/django", status=200)
    assert res.body == b""


def test_unexpected_error_is_a_branded_500_without_details(testapp, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(content, "count_public", broken)
    res = testapp.get("/en/topics", status=500)
    assert "Something went wrong on the server" in res.text
    assert "secret internal detail" not in res.text
    assert "Traceback" not in res.text
    assert res.headers["X-Request-Id"] in res.text


def test_database_down_is_503_with_retry_after(testapp, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused: password=x"))

    monkeypatch.setattr(content, "count_public", down)
    res = testapp.get("/topics", status=503)
    assert res.headers["Retry-After"] == "5"
    assert "password" not in res.text and "SELECT" not in res.text


def test_readyz_is_503_when_the_database_is_unreachable(app_settings):
    from webtest import TestApp

    from pybackend import main

    settings = dict(app_settings)
    settings["sqlalchemy.url"] = "sqlite:////nonexistent-dir/never/db.sqlite"
    app = TestApp(main({}, **settings), extra_environ={"HTTP_HOST": "example.com"})
    res = app.get("/readyz", status=503)
    assert res.json["status"] == "unavailable"
    assert res.headers["Retry-After"]
    assert app.get("/healthz").json == {"status": "ok"}
    res = app.get("/topics/django", status=503)
    assert "Retry-After" in res.headers
