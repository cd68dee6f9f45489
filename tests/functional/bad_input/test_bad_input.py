"""Table-driven bad input over every route in the registry: never a 500 (issue 10).

Each test walks one table (corpus.py) over every route, anonymous and logged in as an
administrator (whose CSRF token the POSTs carry), and collects every answer that was a
500 or not the status the table expects; it fails listing them all. Both backends.
"""

import pytest
import webob
from pyramid.interfaces import IRoutesMapper
from sqlalchemy import select

from pybackend import main
from pybackend.models import Item, Revision
from tests.functional.admin_helpers import csrf, logged_in

from . import corpus

# Where a valid request of each method may land: anything below 500.
POST_ROUTES = {
    "login": "/login",
    "admin.item.new": "/admin/topics/new",
    "admin.item.edit": "/admin/topics/{id}",
    "admin.item.delete": "/admin/topics/{id}/delete",
    "admin.item.revert": "/admin/topics/{id}/revisions/1/restore",
    "admin.trash.restore": "/admin/trash/{id}/restore",
    "admin.preview": "/admin/preview",
    "admin.user.new": "/admin/users/new",
    "admin.user": "/admin/users/{user}",
    "admin.password": "/admin/password",
    "logout": "/logout",  # last: a well-formed one ends the session
}


@pytest.fixture
def site(app, testapp, dbsession):
    """The client logged in as an administrator, and real values for every placeholder."""
    admin = logged_in(testapp, dbsession, "bad-input-admin", "admin")
    item = dbsession.scalar(select(Item).where(Item.slug == "django"))
    assert dbsession.scalar(select(Revision).where(Revision.item_id == item.id)) is not None
    values = {
        "id": str(item.id),
        "slug": "django",
        "item_type": "topics",
        "number": "1",
        "subpath": "css/site.css",
        "user": str(admin.id),
        # Placeholders of routes with no row here (a preview link, an image): any value.
        "link": "1",
        "token": "x" * 43,
        "comparison": "web-frameworks",
        "name": "0" * 64 + ".png",
    }
    return testapp, values, csrf(testapp.get("/admin/"))


def routes(app):
    mapper = app.registry.getUtility(IRoutesMapper)
    return [(route.name, route.pattern) for route in mapper.get_routes()]


def send(client, path, method="GET", body=None, content_type=None, environ=None):
    """The app's answer, called directly: WebTest itself cannot build a URL that is not
    UTF-8, so the client's cookies go in by hand."""
    extra = {**(environ or {})}
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    if cookies and "HTTP_COOKIE" not in extra:
        extra["HTTP_COOKIE"] = cookies
    req = webob.Request.blank(path, environ=client._make_environ(extra), method=method)
    if body is not None:
        req.body = body
    if content_type is not None:
        req.environ["CONTENT_TYPE"] = content_type
    return req.get_response(client.app)


def check(failures, label, res, expected):
    status = res.status_int
    if status >= 500 or (expected is not None and status not in expected):
        failures.append(f"{label}: {status} (expected {sorted(expected or ['<500'])})")


def report(failures):
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures)


@pytest.mark.parametrize("anonymous", [False, True], ids=["admin", "anonymous"])
def test_every_placeholder_value_on_every_route(app, site, anonymous):
    client, values, _token = site
    if anonymous:
        client.reset()
    failures = []
    for name, pattern in routes(app):
        for placeholder in corpus.placeholders(pattern):
            for value, expected in corpus.PLACEHOLDER_VALUES.get(placeholder, ()):
                path = corpus.fill(pattern, {**values, placeholder: value})
                if anonymous and path.startswith("/admin") and expected == {404}:
                    expected = {303, 404}  # off to the login page, or no such address
                expected = {*expected, 405}  # POST-only routes say so first, for any id
                res = send(client, path)
                check(failures, f"{name} GET {path[:80]}", res, expected)
    report(failures)


def request_cases():
    """(label, environ, expected) for every query string and header case."""
    for query, expected in corpus.QUERIES:
        yield f"?{query[:40]}", {"QUERY_STRING": query}, expected
    for key, value, expected in corpus.HEADERS:
        yield f"{key}={value[:30]!r}", {key: value}, expected


@pytest.mark.parametrize("anonymous", [False, True], ids=["admin", "anonymous"])
def test_every_query_string_and_header_on_every_get_route(app, site, anonymous):
    """A case refused for its encoding (a cheap 400) runs on every route in both variants.
    One that renders the page (30-150 ms here) runs on every fourth route in each
    variant, shifted by one per case: each runs on about half the routes, and every route
    gets about half the cases."""
    client, values, _token = site
    if anonymous:
        client.reset()
    failures = []
    for j, (name, pattern) in enumerate(routes(app)):
        path = corpus.fill(pattern, values)
        for i, (label, environ, expected) in enumerate(request_cases()):
            if expected != {400} and (i + j + 2 * anonymous) % 4:
                continue
            res = send(client, path, environ=environ)
            check(failures, f"{name} GET {path} {label}", res, expected)
    report(failures)


def test_every_method_on_every_route(app, site):
    client, values, token = site
    failures = []
    for name, pattern in routes(app):
        path = corpus.fill(pattern, values)
        for method in corpus.METHODS:
            res = send(client, path, method, environ={"HTTP_X_CSRF_TOKEN": token})
            check(failures, f"{name} {method} {path}", res, {400, 403, 404, 405})
    report(failures)


@pytest.mark.parametrize("anonymous", [False, True], ids=["admin", "anonymous"])
def test_every_malformed_body_on_every_post_route(site, anonymous):
    client, values, token = site
    if anonymous:
        client.reset()
        token = csrf(client.get("/login"))
    failures = []
    for name, path in POST_ROUTES.items():
        path = path.format(**values)
        for label, content_type, body, expected in corpus.bodies(token):
            if anonymous and path.startswith("/admin") and expected == {400}:
                expected = {303, 400}  # refused, or off to the login page first
            res = send(client, path, "POST", body=body, content_type=content_type)
            check(failures, f"{name} POST {path} {label}", res, expected)
    report(failures)


def test_versions_out_of_range_are_a_conflict_or_a_form_error(site):
    client, values, token = site
    item_id = values["id"]
    failures = []
    for version in corpus.VERSIONS:
        form = client.get(f"/admin/topics/{item_id}").forms["item-form"]
        form["version"].force_value(version)
        res = form.submit("action", value="save", expect_errors=True)
        check(failures, f"edit version={version!r}", res, {400, 409})
        for path, fields in (
            (f"/admin/topics/{item_id}/delete", {}),
            (f"/admin/topics/{item_id}/revisions/1/restore", {}),
            (f"/admin/users/{values['user']}", {"action": "role", "role": "editor"}),
        ):
            res = client.post(
                path, {"csrf_token": token, "version": version, **fields}, expect_errors=True
            )
            check(failures, f"POST {path} version={version!r}", res, {400, 409})
    report(failures)


def test_a_form_with_invalid_utf8_saves_nothing(site, dbsession):
    client, values, token = site
    item = dbsession.get(Item, int(values["id"]))
    before = (item.version, item.text("id").title)
    body = f"csrf_token={token}&slug=django&title=Dj%FFango&version={item.version}&action=save"
    res = send(client, f"/admin/topics/{item.id}", "POST", body.encode(), corpus.URLENCODED)
    assert res.status_int == 400
    dbsession.expire_all()
    assert (item.version, item.text("id").title) == before


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/admin/",
        "/admin/topics",
        "/admin/topics/new",
        "/admin/examples/new",
        "/admin/topics/{id}",
        "/admin/topics/{id}/delete",
        "/admin/topics/{id}/history",
        "/admin/topics/{id}/revisions/1",
        "/admin/trash",
        "/admin/users",
        "/admin/users/new",
        "/admin/users/{user}",
        "/admin/audit",
        "/admin/password",
    ],
)
def test_the_login_page_and_every_form_page_are_no_store(site, path):
    client, values, _token = site
    if path == "/login":
        client.reset()
    res = client.get(path.format(**values))
    assert res.status_int == 200
    assert "no-store" in res.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_host_header(app, path):
    req = webob.Request.blank(path, environ={"SERVER_PROTOCOL": "HTTP/1.0"})
    del req.environ["HTTP_HOST"]
    res = req.get_response(app)
    assert res.status_int == 200 and res.json["status"] == "ok"


def test_under_the_debug_toolbar_a_path_that_is_not_utf8_is_still_our_400(app_settings, dbengine):
    """make run includes pyramid_debugtoolbar, whose tween decodes the path: ours runs first."""
    settings = {**app_settings, "pyramid.includes": "pyramid_debugtoolbar"}
    application = main({}, dbengine=dbengine, **settings)
    for path in ("/topics/%FF", "/admin/topics/%C0%AF", "/%ED%A0%80"):
        res = webob.Request.blank(path, environ={"HTTP_HOST": "example.com"}).get_response(
            application
        )
        assert res.status_int == 400, (path, res.status)
        assert "Content-Security-Policy" in res.headers
