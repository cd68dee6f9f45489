"""The audit log page: what was recorded, filters, pages, and who may read it (ERR-2)."""

import pytest
from sqlalchemy import func, select

from pybackend.models import AuditEntry
from pybackend.services import audit, editing
from tests.factories import make_topic
from tests.functional.admin_helpers import csrf, login, make_user


@pytest.fixture
def admin(dbsession):
    return make_user(dbsession, "boss", "admin")


def rows(page):
    return [
        [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in page.html.select("table.audit tbody tr")
    ]


def fail_login(testapp, username, password="definitely not it"):
    page = testapp.get("/login")
    testapp.post(
        "/login",
        {"username": username, "password": password, "csrf_token": csrf(page), "next": ""},
        status=400,
    )


def test_logins_failures_and_content_changes_are_listed(testapp, dbsession, admin):
    testapp.extra_environ["REMOTE_ADDR"] = "192.0.2.7"
    fail_login(testapp, "boss")
    login(testapp, "boss")
    topic = make_topic(dbsession, slug="dicatat")
    editing.record_revision(dbsession, topic, "create", admin)
    editing.delete_item(dbsession, topic, topic.version, admin)
    page = testapp.get("/admin/trash")
    testapp.post(f"/admin/trash/{topic.id}/restore", {"csrf_token": csrf(page)}, status=303)
    page = testapp.get("/admin/audit")
    assert "no-store" in page.headers["Cache-Control"]
    listed = rows(page)
    actions = [row[2] for row in listed]
    # Newest first.
    assert actions[:4] == ["content.restore", "content.delete", "login", "login.failure"]
    restore = listed[0]
    assert restore[0].endswith("UTC")
    assert restore[1] == "boss"
    assert restore[3] == f"topic #{topic.id}"
    assert '"slug": "dicatat"' in restore[5]
    failure = listed[3]
    assert failure[1] == "boss" and failure[4] == "192.0.2.7"
    link = page.html.find("a", string=f"topic #{topic.id}")
    assert link["href"] == f"/admin/topics/{topic.id}/history"


def test_filters(testapp, dbsession, admin):
    make_user(dbsession, "ed")
    fail_login(testapp, "ed")
    fail_login(testapp, "nobody")
    login(testapp, "boss")
    topic = make_topic(dbsession)
    audit.record(dbsession, "content.update", user=admin, obj=topic)
    audit.record(dbsession, "user.role", user=admin, obj=make_user(dbsession, "nina"))

    def actions(**query):
        return [row[2] for row in rows(testapp.get("/admin/audit", query))]

    # Other tests (the browser ones) commit entries of their own: filter to ours.
    assert actions(action="login.failure", username="ed") == ["login.failure"]
    assert actions(action="login.failure", username="nobody") == ["login.failure"]
    assert [row[1] for row in rows(testapp.get("/admin/audit", {"username": "ED"}))] == ["ed"]
    assert actions(object_type="topic", username="boss") == ["content.update"]
    assert actions(object_type="user", username="boss") == ["user.role"]
    assert actions(action="login", username="boss") == ["login"]
    assert actions(action="login", username="ed") == []
    # The form shows the filters in use.
    page = testapp.get("/admin/audit", {"action": "login.failure", "username": "ed"})
    assert page.html.find("option", selected=True, value="login.failure")
    assert page.html.find("input", attrs={"name": "username"})["value"] == "ed"


@pytest.mark.parametrize(
    "query",
    [
        "action=nope",
        "action=login&action=logout",
        "object_type=item",
        "object_type=topic&object_type=user",
        "username=" + "x" * 51,
        "username=a&username=b",
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999",
        "username=%ff",
    ],
)
def test_bad_filters_are_400(testapp, admin, query):
    login(testapp, "boss")
    testapp.get("/admin/audit?" + query, status=400)


def test_pages_of_fifty_keep_the_filters(testapp, dbsession, admin):
    login(testapp, "boss")
    for n in range(60):
        audit.record(dbsession, "content.update", username="bot", detail_n=n)
    # Filter to this test's own entries: other tests commit entries too.
    first = testapp.get("/admin/audit", {"action": "content.update", "username": "bot"})
    assert len(rows(first)) == 50
    assert rows(first)[0][5] == '{"detail_n": "59"}'
    next_link = first.html.find("a", rel="next")["href"]
    assert "action=content.update" in next_link and "page=2" in next_link
    assert "username=bot" in next_link
    second = testapp.get(next_link)
    assert len(rows(second)) == 10
    assert rows(second)[-1][5] == '{"detail_n": "0"}'
    testapp.get("/admin/audit?action=content.update&username=bot&page=3", status=404)


def test_logged_values_are_shown_as_text(testapp, dbsession, admin):
    login(testapp, "boss")
    audit.record(dbsession, "login.failure", username="<script>x</script>\nfake line")
    page = testapp.get("/admin/audit")
    assert "<script>x" not in page.text
    assert "&lt;script&gt;x&lt;/script&gt;\\nfake line" in page.text


def test_editor_gets_403_and_anonymous_goes_to_login(app, tm, dbsession, testapp):
    make_user(dbsession, "ed")
    res = testapp.get("/admin/audit", status=303)
    assert "/login?next=%2Fadmin%2Faudit" in res.location
    login(testapp, "ed")
    testapp.get("/admin/audit", status=403)
    testapp.get("/admin/audit?action=login", status=403)
    assert testapp.get("/admin/").html.find("a", href="/admin/audit") is None


def test_the_log_cannot_be_changed_through_the_web(testapp, dbsession, admin):
    login(testapp, "boss")
    page = testapp.get("/admin/audit")
    before = dbsession.scalar(select(func.count()).select_from(AuditEntry))
    for method in ("post", "put", "delete"):
        getattr(testapp, method)("/admin/audit", {"csrf_token": csrf(page)}, status=405)
    assert dbsession.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert page.html.find("div", class_="admin-main").find("form", method="post") is None
