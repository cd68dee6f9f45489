"""Security headers on every response (HDR-1, HDR-2) and the allowed-hosts check (HOST-1)."""

import pytest

from pybackend.services import content

EXAMPLE_VALUES = {"slug": {"topic": "django", "example": "spotify"}}


def every_get_path(app):
    """One concrete path for every route, from the route registry itself."""
    paths = []
    for intr in app.registry.introspector.get_category("routes"):
        route = intr["introspectable"]
        name = route["name"]
        if name.startswith("__static"):
            continue
        kind = "example" if name.endswith("example") else "topic"
        values = {
            "slug": EXAMPLE_VALUES["slug"][kind],
            "item_type": "topics",
            "id": "1",
            "number": "1",
            "link": "1",
            "token": "t" * 43,
            "name": "a" * 64 + ".png",
            "comparison": "web-frameworks",
        }
        paths.append(route["object"].generate(values))
    return sorted(paths)


def test_every_route_is_covered(app):
    paths = every_get_path(app)
    assert "/topics/django" in paths and "/en/examples/spotify" in paths


def check_headers(res):
    headers = res.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    # A preview link's token is in its URL: no Referer leaves those pages at all.
    private = res.request.environ.get("PATH_INFO", "").startswith("/preview/")
    assert headers["Referrer-Policy"] == ("no-referrer" if private else "same-origin")
    assert "Strict-Transport-Security" not in headers  # plain http here
    if res.content_type == "text/html":
        csp = headers["Content-Security-Policy"]
        for directive in (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
        ):
            assert directive in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    if res.content_type.startswith("text/"):
        assert res.charset.lower() == "utf-8"


def test_headers_on_every_get_route(testapp, app):
    for path in every_get_path(app):
        res = testapp.get(path, expect_errors=True)
        assert res.status_int < 500, path
        check_headers(res)


@pytest.mark.parametrize(
    "path",
    ["/nope", "/topics/%ff", "/topics?page=0", "/static/css/site.css", "/static/img/logo.svg"],
)
def test_headers_on_errors_and_static_files(testapp, path):
    check_headers(testapp.get(path, expect_errors=True))


def test_headers_on_405_and_500(testapp, monkeypatch):
    check_headers(testapp.post("/topics", status=405))

    def broken(*a, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(content, "count_public", broken)
    check_headers(testapp.get("/topics", status=500))


def test_hsts_on_https(testapp):
    res = testapp.get("/", extra_environ={"wsgi.url_scheme": "https"})
    assert res.headers["Strict-Transport-Security"].startswith("max-age=")


def test_autoescape_is_on(app):
    """A pinned setting: every template escapes by default (OUT-1)."""
    from pyramid_jinja2 import IJinja2Environment

    env = app.registry.queryUtility(IJinja2Environment, name=".jinja2")
    assert env.autoescape is True


@pytest.mark.parametrize(
    "host", ["evil.example", "example.com.evil.example", "EXAMPLE.org", "[::2]:80"]
)
def test_unknown_hosts_are_refused(testapp, host):
    res = testapp.get("/topics/django", headers={"Host": host}, status=400)
    assert "evil" not in res.text.split("<main", 1)[1].lower()
    check_headers(res)


def test_known_hosts_with_ports_are_served(testapp):
    testapp.get("/", headers={"Host": "localhost:6543"}, status=200)
    testapp.get("/", headers={"Host": "EXAMPLE.COM"}, status=200)


def test_absolute_urls_use_the_base_url_not_the_host(testapp):
    res = testapp.get("/topics/zmq", headers={"Host": "localhost:6543"}, status=301)
    assert res.location == "http://example.com/topics/zeromq"
    res = testapp.get("/topics/django", headers={"Host": "localhost:6543"})
    alternates = [
        link["href"] for link in res.html.find_all("link", rel="alternate", hreflang=["id", "en"])
    ]
    assert alternates == ["http://example.com/topics/django", "http://example.com/en/topics/django"]


def test_health_probes_without_a_host_header_are_answered(app):
    from webob import Request

    def get(path):
        request = Request.blank(path, environ={"SERVER_NAME": "10.0.0.5"})
        del request.environ["HTTP_HOST"]
        return request.get_response(app)

    for path in ("/healthz", "/readyz"):
        res = get(path)
        assert res.status_int == 200 and res.json["status"] == "ok"
    # Other pages still need an allowed Host.
    assert get("/topics").status_int == 400
