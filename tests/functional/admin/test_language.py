"""The editors' area speaks each editor's chosen language (Indonesian until they choose)."""

from sqlalchemy import select

from pybackend.models import AuditEntry, Item
from tests.functional.admin_helpers import csrf, logged_in


def choose(testapp, lang, next_path="/admin/topics", status=303):
    page = testapp.get("/admin/")
    return testapp.post(
        "/admin/language",
        {"lang": lang, "next": next_path, "csrf_token": csrf(page)},
        status=status,
    )


def test_indonesian_by_default_then_english_everywhere(testapp, dbsession):
    user = logged_in(testapp, dbsession)
    page = testapp.get("/admin/")
    assert '<html lang="id">' in page.text and "Dasbor" in page.text
    res = choose(testapp, "en")
    assert res.location.endswith("/admin/topics")
    assert user.lang == "en"
    page = res.follow()
    assert '<html lang="en">' in page.text
    nav = page.html.find("nav", class_="admin-nav").get_text()
    assert "Dashboard" in nav and "Trash" in nav and "Dasbor" not in nav
    django = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    form = testapp.get(f"/admin/topics/{django.id}").html
    labels = {label.get_text(strip=True) for label in form.find_all("label")}
    assert {"Title", "Summary", "Title (English)"} <= labels
    assert any(label.startswith("Sources") for label in labels)
    # Readers' pages keep following the address, whatever the editor chose.
    assert '<html lang="id">' in testapp.get("/topics/django").text
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "user.language")).one()
    assert entry.user_id == user.id


def test_an_unknown_language_is_400_and_changes_nothing(testapp, dbsession):
    user = logged_in(testapp, dbsession)
    choose(testapp, "fr", status=400)
    assert user.lang == "id"


def test_next_must_stay_in_the_editors_area(testapp, dbsession):
    logged_in(testapp, dbsession)
    for target in ("https://evil.example/", "//evil.example/admin/", "/topics/django"):
        assert choose(testapp, "en", next_path=target).location.endswith("/admin/")


def test_anonymous_cannot_choose(testapp):
    res = testapp.post("/admin/language", {"lang": "en"}, status=303)
    assert res.location.startswith("http://example.com/login?")


def test_the_login_page_of_an_english_page_is_in_english(testapp):
    link = testapp.get("/en/").html.find("a", string="Editor login")
    assert link["href"] == "/login?lang=en"
    page = testapp.get(link["href"])
    assert '<html lang="en">' in page.text
    assert page.html.find("form", class_="stack")["action"] == "/login?lang=en"
    assert '<html lang="id">' in testapp.get("/login").text
    assert '<html lang="id">' in testapp.get("/login?lang=xx").text


def options(form, name):
    select_ = form.find("select", attrs={"name": name})
    return {o["value"]: o.get_text(strip=True) for o in select_.find_all("option")}


def test_kinds_relations_and_roles_are_named_in_the_editor_s_language(testapp, dbsession):
    logged_in(testapp, dbsession, username="boss", role="admin")
    django = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    form = testapp.get(f"/admin/topics/{django.id}").html
    assert options(form, "kind")["framework"] == "Framework"
    assert options(form, "kind")["datastore"] == "Penyimpanan data"
    # Django's form lists its relations; each row names them from Django's side.
    assert options(form, "links-0-kind")["built_on"] == "Dibangun di atas"
    assert options(form, "links-0-kind")["uses"] == "Memakai"
    users = testapp.get("/admin/users").html.find("table").get_text()
    assert "Admin" in users and "admin" not in users.replace("Admin", "")

    choose(testapp, "en")
    form = testapp.get(f"/admin/topics/{django.id}").html
    assert options(form, "kind")["datastore"] == "Data store"
    assert options(form, "links-0-kind")["built_on"] == "Built on"
    assert options(form, "links-0-kind")["uses"] == "Uses"
    # The stored keys stay what a save sends back.
    assert set(options(form, "kind")) >= {"framework", "datastore", "language"}
