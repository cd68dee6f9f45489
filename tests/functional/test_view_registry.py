"""Deny by default and CSRF everywhere, checked against the view registry itself
(AC-1, CSRF-1, CSRF-3): a new view that forgets either fails here."""

import pytest
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import func, select

from pybackend.models import AuditEntry, Item, ItemText, Link, Revision, User, UserSession
from tests.functional.admin_helpers import csrf, logged_in

# Views anyone may call, on purpose.
PUBLIC_WITHOUT_PERMISSION = {"login", "logout", "healthz", "readyz"}
EXAMPLE = {"item_type": "topics", "id": "1", "number": "1", "slug": "django", "user_id": "1"}


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
        if route_name.startswith("admin."):
            assert set(permissions) & {"edit", "manage-users", "view-audit"}, route_name


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
    return [
        dbsession.scalar(select(func.count()).select_from(m))
        for m in (Item, ItemText, Link, Revision, User, UserSession, AuditEntry)
    ]


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
            assert res.status_int in (303, 405), route_name
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
