"""Deny by default, CSRF everywhere and a 405 with ``Allow`` for every method a route does
not take, checked against the view registry itself (AC-1, CSRF-1, CSRF-3): a new view or
route that gets any of them wrong fails here."""

import io
from collections import defaultdict

import pytest
from PIL import Image as PILImage
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import func, select

from pybackend.models import Base, Item, Revision
from pybackend.routes import STATIC_METHODS
from pybackend.services import images, preview_links
from tests.functional.admin_helpers import csrf, logged_in, make_user

# Views anyone may call, on purpose.
# metrics: Prometheus has no session; its view admits the configured addresses only.
PUBLIC_WITHOUT_PERMISSION = {
    "login", "login.code", "logout", "healthz", "readyz", "preview", "image",
    "metrics",
}  # fmt: skip
# Admin routes every logged-in user reaches, even one who must first set up a second factor.
OWN_ACCOUNT_ROUTES = {"admin.two_factor"}
EXAMPLE = {
    "item_type": "topics", "id": "1", "number": "1", "slug": "django", "user_id": "1",
    "link": "1", "token": "t" * 43, "name": "a" * 64 + ".png", "comparison": "web-frameworks",
}  # fmt: skip


def route_views(app):
    introspector = app.registry.introspector
    for intr in introspector.get_category("views"):
        view = intr["introspectable"]
        route_name = view["route_name"]
        if (
            route_name is None
            or view["context"] is not None
            and not isinstance(view["context"], type)
        ):
            continue
        if view.get("exception_only") or route_name is None:
            continue
        related = introspector.related(view)
        permissions = [r["value"] for r in related if r.category_name == "permissions"]
        yield route_name, view, permissions


def test_every_view_states_a_permission(app):
    missing = []
    for route_name, _view, permissions in route_views(app):
        if route_name.startswith("__static"):
            continue
        if not permissions:
            missing.append(route_name)
        elif (
            permissions == [NO_PERMISSION_REQUIRED] and route_name not in PUBLIC_WITHOUT_PERMISSION
        ):
            missing.append(f"{route_name} (no permission required)")
    assert missing == []


def test_no_view_opts_out_of_csrf(app):
    opted_out = [name for name, view, _ in route_views(app) if view["require_csrf"] is False]
    assert opted_out == []


def test_admin_routes_need_a_role(app):
    for route_name, _view, permissions in route_views(app):
        if route_name in OWN_ACCOUNT_ROUTES:
            assert permissions == ["own-account"], route_name
        elif route_name.startswith("admin."):
            assert set(permissions) & {"edit", "manage-users", "view-audit", "review"}, route_name


def unsafe_paths(app, values=EXAMPLE):
    paths = set()
    for route_name, view, _ in route_views(app):
        methods = view["request_methods"]
        if route_name.startswith("__"):
            continue  # static files: GET and HEAD only, nothing to write
        if methods is None or "POST" in methods:
            route = app.registry.introspector.get("routes", route_name)["object"]
            user_route = route_name == "admin.user"
            paths.add(route.generate({**values, "id": values["user_id"]} if user_route else values))
    return sorted(paths)


def counts(dbsession):
    """The number of rows in every table of the schema."""
    return {
        table.name: dbsession.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def test_every_post_without_a_csrf_token_is_400_and_writes_nothing(testapp, dbsession, app):
    admin = logged_in(testapp, dbsession, "root", "admin")
    django = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    # Real rows: a missing one would be a 404 from its route factory before any CSRF check.
    paths = unsafe_paths(app, {**EXAMPLE, "id": str(django.id), "user_id": str(admin.id)})
    assert "/admin/topics/new" in paths and "/logout" in paths and "/login" in paths
    before = counts(dbsession)
    for path in paths:
        res = testapp.post(path, {"title": "x", "slug": "x", "role": "admin"}, expect_errors=True)
        assert res.status_int == 400, path
        res = testapp.post(path, {"csrf_token": "wrong"}, expect_errors=True)
        assert res.status_int == 400, path
    assert counts(dbsession) == before
    assert admin.role == "admin"


def test_anonymous_gets_login_for_every_admin_page(testapp, app):
    for route_name, view, _ in route_views(app):
        if not route_name.startswith("admin.") or route_name == "admin.home.noslash":
            continue
        route = app.registry.introspector.get("routes", route_name)["object"]
        res = testapp.get(route.generate(EXAMPLE), expect_errors=True)
        if view["request_methods"] == ("POST",) or view["request_methods"] == "POST":
            assert res.status_int == 405, route_name
        else:
            assert res.status_int == 303 and "/login?next=" in res.location, route_name


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/admin/audit"])
def test_editors_cannot_manage_users_or_read_the_audit_log(testapp, dbsession, path):
    logged_in(testapp, dbsession, "ed", "editor")
    testapp.get(path, status=403)
    page = testapp.get("/admin/topics")
    res = testapp.post(
        path, {"csrf_token": csrf(page), "username": "x", "role": "admin"}, expect_errors=True
    )
    assert res.status_int in (403, 405)


# -- 405 for every method a route does not take ------------------------------------------

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")


def accepted_methods(app):
    """Every route in the registry, with the methods its views take (GET takes HEAD too)."""
    introspector = app.registry.introspector
    accepted = {i["introspectable"]["name"]: set() for i in introspector.get_category("routes")}
    views = defaultdict(list)
    for route_name, view, _ in route_views(app):
        views[route_name].append(view["request_methods"])
    for route_name, methods in accepted.items():
        assert views[route_name], f"{route_name}: a route without a view"
        for view_methods in views[route_name]:
            if route_name.startswith("__static"):
                view_methods = STATIC_METHODS  # its route factory refuses the rest
            # A view without request_method takes PUT, DELETE, anything: never a 405.
            assert view_methods is not None, f"{route_name}: a view that takes every method"
            methods.update((view_methods,) if isinstance(view_methods, str) else view_methods)
        if "GET" in methods:
            methods.add("HEAD")
    return accepted


def tiny_png():
    out = io.BytesIO()
    PILImage.new("RGB", (2, 2)).save(out, "PNG")
    return out.getvalue()


def real_paths(app, dbsession, user):
    """A path for every route, built from rows that exist: a 404 cannot hide a 405."""
    topic = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    example = dbsession.scalars(
        select(Item).where(Item.type == "example", Item.status == "published").order_by(Item.id)
    ).first()
    revision = dbsession.scalars(
        select(Revision).where(Revision.item_id == topic.id).order_by(Revision.number)
    ).first()
    link, token = preview_links.create(dbsession, topic, user)
    image, _created = images.store(
        dbsession, images.image_dir(app.registry.settings), tiny_png(), "x", user
    )
    introspector = app.registry.introspector
    paths = {}
    for route_name in accepted_methods(app):
        ids = {"admin.user": user.id, "admin.image": image.id}
        values = {
            "item_type": "topics",
            "id": str(ids.get(route_name.replace(".delete", "").replace(".restore", ""), topic.id)),
            "link": str(link.id),
            "token": token,
            "name": image.name,
            "number": str(revision.number),
            "slug": example.slug if route_name.endswith("example") else topic.slug,
            "subpath": ("css", "site.css"),
            "comparison": "web-frameworks",
        }
        paths[route_name] = introspector.get("routes", route_name)["object"].generate(values)
    return paths


def send(testapp, method, path, token=None):
    headers = {"X-CSRF-Token": token} if token else {}
    call = getattr(testapp, method.lower())
    if method in WITH_BODY:
        params = {"csrf_token": token, "title": "x", "slug": "x", "role": "admin"} if token else {}
        return call(path, params, headers=headers, expect_errors=True)
    return call(path, headers=headers, expect_errors=True)


def wrong_method_sweep(app, testapp, paths, token=None):
    """Each route, each method it does not take: 405 and an Allow of exactly what it takes."""
    failures = []
    tried = 0
    for route_name, allowed in sorted(accepted_methods(app).items()):
        for method in METHODS:
            if method in allowed:
                continue
            tried += 1
            res = send(testapp, method, paths[route_name], token)
            allow = [m.strip() for m in res.headers.get("Allow", "").split(",") if m.strip()]
            if res.status_int != 405 or sorted(allow) != sorted(allowed):
                failures.append(
                    f"{method} {paths[route_name]} ({route_name}): {res.status}, "
                    f"Allow: {res.headers.get('Allow')!r}, expected {', '.join(sorted(allowed))}"
                )
            elif "Traceback" in res.text:
                failures.append(f"{method} {paths[route_name]}: a traceback on the page")
    return tried, failures


def check_the_registry_is_swept(app, paths):
    # Derived from the registry: a new route is swept without being listed here.
    assert len(paths) >= 45
    for name in ("home", "en.topic", "example", "feed", "sitemap", "robots", "api.topic"):
        assert name in paths
    for name in ("healthz", "login", "logout", "admin.item.edit", "admin.user", "__static/"):
        assert name in paths
    assert sum(name.startswith("admin.") for name in paths) >= 18


def test_every_route_answers_a_method_it_does_not_take_with_405(testapp, dbsession, app):
    """As an admin with a valid CSRF token: the 405 is about the method, nothing else."""
    admin = logged_in(testapp, dbsession, "root", "admin")
    token = csrf(testapp.get("/admin/topics"))
    paths = real_paths(app, dbsession, admin)
    check_the_registry_is_swept(app, paths)
    for route_name, allowed in accepted_methods(app).items():
        # The paths are real: no route that takes GET answers it with a 404 (the diff
        # page, without its query, is a 400 from its view: its row was found).
        if "GET" in allowed:
            res = testapp.get(paths[route_name], expect_errors=True)
            # /metrics is a 404 to every address not configured (tests/telemetry/).
            if route_name != "metrics":
                assert res.status_int not in (404, 410), (route_name, paths[route_name], res.status)
            assert res.status_int < 500, (route_name, paths[route_name], res.status)
    before = counts(dbsession)
    tried, failures = wrong_method_sweep(app, testapp, paths, token)
    assert failures == []
    assert tried >= 200
    assert counts(dbsession) == before


def test_a_method_no_view_takes_is_405_for_anonymous_too(testapp, dbsession, app):
    """Not a 303 to the login page (what admin routes with a route factory answered): which
    methods an address takes is no secret, and the answer does not depend on who asks."""
    paths = real_paths(app, dbsession, make_user(dbsession, "root", "admin"))
    check_the_registry_is_swept(app, paths)
    before = counts(dbsession)
    tried, failures = wrong_method_sweep(app, testapp, paths)
    assert failures == []
    assert tried >= 200
    assert counts(dbsession) == before
