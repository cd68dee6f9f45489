"""Accounts in the editors' area: admins manage users; everyone changes their password."""

import pytest
from sqlalchemy import func, select

from pybackend.models import AuditEntry, User, UserSession
from pybackend.services import accounts
from tests.conftest import joined_client
from tests.functional.admin_helpers import PASSWORD, csrf, logged_in, login, make_user

NEW_PASSWORD = "another long passphrase 42"


def client(app, tm, dbsession):
    """A second browser, sharing the test's transaction."""
    return joined_client(app, tm, dbsession)


@pytest.fixture
def other(app, tm, dbsession):
    return client(app, tm, dbsession)


@pytest.fixture
def admin(testapp, dbsession):
    return logged_in(testapp, dbsession, "boss", "admin")


@pytest.fixture
def editor(dbsession):
    return make_user(dbsession, "ed", "editor")


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


def counts(dbsession):
    return tuple(count(dbsession, model) for model in (User, AuditEntry, UserSession))


_audit_start = {}


@pytest.fixture(autouse=True)
def audit_start(dbsession):
    """Where this test's audit entries begin: tests that commit for real (browser, live
    server) leave theirs behind, as an append-only log should."""
    _audit_start["id"] = dbsession.scalar(select(func.max(AuditEntry.id))) or 0


def audit_actions(dbsession):
    """The actions this test logged, oldest first."""
    return [
        e.action
        for e in dbsession.scalars(
            select(AuditEntry).where(AuditEntry.id > _audit_start["id"]).order_by(AuditEntry.id)
        )
    ]


def user_page(testapp, user):
    return testapp.get(f"/admin/users/{user.id}")


# --- Listing and adding ---


def test_admin_lists_users(testapp, dbsession, admin, editor):
    accounts.set_disabled(dbsession, editor, True)
    page = testapp.get("/admin/users")
    assert "no-store" in page.headers["Cache-Control"]
    rows = {
        row.find("a").get_text(): [td.get_text(" ", strip=True) for td in row.find_all("td")]
        for row in page.html.select("table.admin-table tbody tr")
    }
    assert rows["boss"][1:3] == ["Admin", "aktif"]
    assert rows["ed"][1:3] == ["Editor", "nonaktif"]
    assert rows["ed"][3].endswith("UTC")
    assert page.html.find("a", href=f"/admin/users/{editor.id}")


def add_form(testapp, **values):
    page = testapp.get("/admin/users/new")
    data = {
        "csrf_token": csrf(page),
        "username": "nina",
        "role": "editor",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    data.update(values)
    return data


def test_admin_adds_a_user(testapp, dbsession, admin, other):
    res = testapp.post("/admin/users/new", add_form(testapp, id="9999"), status=303)
    assert res.location.endswith("/admin/users")
    assert "Akun nina dibuat." in res.follow().text
    user = accounts.get_user(dbsession, "nina")
    assert user.role == "editor" and user.is_active and user.id != 9999
    entry = dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.username, entry.object_type, entry.object_id) == (
        "user.create",
        "boss",
        "user",
        user.id,
    )
    assert NEW_PASSWORD not in entry.detail
    login(other, "nina", NEW_PASSWORD)
    assert other.get("/admin/").status_int == 200


@pytest.mark.parametrize(
    "values, field",
    [
        ({"username": "Bad Name!"}, "username"),
        ({"username": "x"}, "username"),
        ({"username": "boss"}, "username"),  # taken
        ({"role": "root"}, "role"),
        ({"password": "short", "password_confirm": "short"}, "password"),
        ({"password": "password1234", "password_confirm": "password1234"}, "password"),
        ({"password_confirm": "something else entirely"}, "password_confirm"),
        ({"username": "nina\x00"}, "username"),
    ],
)
def test_bad_new_user_is_400_with_input_kept(testapp, dbsession, admin, values, field):
    before = counts(dbsession)
    res = testapp.post("/admin/users/new", add_form(testapp, **values), status=400)
    assert res.html.find(id=f"{field}-errors") is not None
    username = values.get("username", "nina").lower()
    if "\x00" not in username:
        assert res.html.find("input", attrs={"name": "username"})["value"] == username
    # Passwords are never sent back.
    assert not res.html.find("input", attrs={"name": "password"}).get("value")
    assert counts(dbsession) == before


# --- Changing role, disabling, enabling ---


def test_admin_changes_a_role(testapp, dbsession, admin, editor):
    page = user_page(testapp, editor)
    form = page.forms["role-form"]
    assert form["version"].value == str(editor.version)
    form["role"] = "admin"
    res = form.submit(status=303)
    assert res.location.endswith(f"/admin/users/{editor.id}")
    assert "Peran ed sekarang admin." in res.follow().text
    assert editor.role == "admin"
    entry = dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "user.role" and '"before": "editor"' in entry.detail


def test_role_change_with_a_stale_version_is_409(testapp, dbsession, admin, editor):
    page = user_page(testapp, editor)
    accounts.set_disabled(dbsession, editor, True)  # someone else changed the account
    form = page.forms["role-form"]
    form["role"] = "admin"
    res = form.submit(status=409)
    assert "baru saja diubah" in res.text
    assert editor.role == "editor"
    # The page now carries the current version, so a second try can succeed.
    assert res.forms["role-form"]["version"].value == str(editor.version)


def test_disabling_ends_the_users_sessions(testapp, dbsession, admin, editor, other):
    login(other, "ed")
    assert other.get("/admin/").status_int == 200
    page = user_page(testapp, editor)
    res = testapp.post(
        f"/admin/users/{editor.id}",
        {"csrf_token": csrf(page), "action": "disable", "version": str(editor.version)},
        status=303,
    )
    assert "dinonaktifkan" in res.follow().text
    assert editor.disabled_at is not None
    assert count(dbsession, UserSession, UserSession.user_id == editor.id) == 0
    # Their cookie now belongs to nobody: they are sent to the login page.
    assert "/login?next=" in other.get("/admin/", status=303).location
    # And they cannot log in again.
    page = other.get("/login")
    other.post(
        "/login",
        {"username": "ed", "password": PASSWORD, "csrf_token": csrf(page), "next": ""},
        status=400,
    )
    assert audit_actions(dbsession)[-2:] == ["user.disable", "login.failure"]


def test_enabling_lets_the_user_back_in(testapp, dbsession, admin, editor, other):
    accounts.set_disabled(dbsession, editor, True)
    page = user_page(testapp, editor)
    testapp.post(
        f"/admin/users/{editor.id}",
        {"csrf_token": csrf(page), "action": "enable", "version": str(editor.version)},
        status=303,
    )
    assert editor.is_active
    assert "user.enable" in audit_actions(dbsession)
    login(other, "ed")


def test_disable_with_a_stale_version_is_409(testapp, dbsession, admin, editor):
    page = user_page(testapp, editor)
    accounts.set_role(dbsession, editor, "admin")
    testapp.post(
        f"/admin/users/{editor.id}",
        {"csrf_token": csrf(page), "action": "disable", "version": str(editor.version - 1)},
        status=409,
    )
    assert editor.is_active


def test_admin_cannot_demote_or_disable_themselves(testapp, dbsession, admin):
    page = user_page(testapp, admin)
    form = page.forms["role-form"]
    form["role"] = "editor"
    res = form.submit(status=400)
    assert "menurunkan peran Anda sendiri" in res.text
    assert admin.role == "admin"
    res = testapp.post(
        f"/admin/users/{admin.id}",
        {"csrf_token": csrf(page), "action": "disable", "version": str(admin.version)},
        status=400,
    )
    assert "menonaktifkan akun Anda sendiri" in res.text
    assert admin.is_active
    assert not {"user.role", "user.disable"} & set(audit_actions(dbsession))


@pytest.mark.parametrize("action", ["", "delete", "disable&action=enable"])
def test_unknown_action_is_400(testapp, dbsession, admin, editor, action):
    page = user_page(testapp, editor)
    body = f"csrf_token={csrf(page)}&version={editor.version}&action={action}"
    testapp.post(
        f"/admin/users/{editor.id}",
        body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        status=400,
    )
    assert editor.is_active


# --- Access ---

USER_GETS = ["/admin/users", "/admin/users/new", "/admin/users/{id}"]


def test_editor_gets_403_on_every_user_route(testapp, dbsession, editor):
    login(testapp, "ed")
    page = testapp.get("/admin/")
    assert page.html.find("a", href="/admin/users") is None  # not offered either
    before = counts(dbsession)
    for path in USER_GETS:
        testapp.get(path.format(id=editor.id), status=403)
    token = csrf(page)
    testapp.post("/admin/users/new", add_form_data(token), status=403)
    for action in ("role", "disable", "enable"):
        testapp.post(
            f"/admin/users/{editor.id}",
            {"csrf_token": token, "action": action, "role": "admin", "version": "1"},
            status=403,
        )
    assert counts(dbsession) == before
    assert editor.role == "editor"


def add_form_data(token):
    return {
        "csrf_token": token,
        "username": "nina",
        "role": "admin",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }


def test_anonymous_is_sent_to_login(testapp, editor):
    for path in [*USER_GETS, "/admin/password"]:
        path = path.format(id=editor.id)
        res = testapp.get(path, status=303)
        assert res.location == f"http://example.com/login?next={path.replace('/', '%2F')}"


def test_missing_csrf_on_every_post_is_400_and_writes_nothing(testapp, dbsession, admin, editor):
    posts = [
        ("/admin/users/new", add_form_data(None)),
        (f"/admin/users/{editor.id}", {"action": "role", "role": "admin", "version": "1"}),
        (f"/admin/users/{editor.id}", {"action": "disable", "version": str(editor.version)}),
        (
            "/admin/password",
            {
                "current_password": PASSWORD,
                "password": NEW_PASSWORD,
                "password_confirm": NEW_PASSWORD,
            },
        ),
    ]
    before = counts(dbsession)
    hash_before = admin.password_hash
    for path, data in posts:
        data = {k: v for k, v in data.items() if k != "csrf_token"}
        testapp.post(path, data, status=400)
        testapp.post(path, {**data, "csrf_token": "forged"}, status=400)
    assert counts(dbsession) == before
    assert editor.role == "editor" and editor.is_active
    assert admin.password_hash == hash_before


# --- Changing one's password ---


def password_form(testapp, **values):
    page = testapp.get("/admin/password")
    data = {
        "csrf_token": csrf(page),
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    data.update(values)
    return data


def test_password_change_ends_the_other_sessions(testapp, dbsession, editor, other, app, tm):
    login(testapp, "ed")
    login(other, "ed")
    third = client(app, tm, dbsession)
    login(third, "ed")
    assert count(dbsession, UserSession, UserSession.user_id == editor.id) == 3
    res = testapp.post("/admin/password", password_form(testapp), status=303)
    assert "Kata sandi diganti." in res.follow().text
    # This session goes on; the others are over.
    assert testapp.get("/admin/").status_int == 200
    assert count(dbsession, UserSession, UserSession.user_id == editor.id) == 1
    for gone in (other, third):
        assert "/login" in gone.get("/admin/", status=303).location
    assert "user.password" in audit_actions(dbsession)
    # The new password works, the old one does not.
    login(other, "ed", NEW_PASSWORD)
    page = third.get("/login")
    third.post(
        "/login",
        {"username": "ed", "password": PASSWORD, "csrf_token": csrf(page), "next": ""},
        status=400,
    )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"current_password": "not my password at all"}, "current_password"),
        ({"current_password": ""}, "current_password"),
        ({"password": "short", "password_confirm": "short"}, "password"),
        ({"password_confirm": "something different"}, "password_confirm"),
        ({"password": "password1234", "password_confirm": "password1234"}, "password"),
    ],
)
def test_bad_password_change_is_400_and_changes_nothing(
    testapp, dbsession, editor, other, values, field
):
    login(testapp, "ed")
    login(other, "ed")
    hash_before = editor.password_hash
    res = testapp.post("/admin/password", password_form(testapp, **values), status=400)
    assert res.html.find(id=f"{field}-errors") is not None
    assert editor.password_hash == hash_before
    assert other.get("/admin/").status_int == 200


def test_wrong_current_password_is_audited(testapp, dbsession, editor):
    login(testapp, "ed")
    testapp.post(
        "/admin/password",
        password_form(testapp, current_password="not my password at all"),
        status=400,
    )
    assert audit_actions(dbsession)[-1] == "user.password.failure"


def test_password_equal_to_username_is_refused(testapp, dbsession):
    make_user(dbsession, "averylongusername")
    login(testapp, "averylongusername")
    res = testapp.post(
        "/admin/password",
        password_form(testapp, password="AVERYLONGUSERNAME", password_confirm="AVERYLONGUSERNAME"),
        status=400,
    )
    assert res.html.find(id="password-errors") is not None
