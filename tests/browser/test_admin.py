"""The editors' area in a real Chromium: logging in and out, writing with the live preview,
the unsaved-changes warning, the merge screen after a conflict, the trash, restoring an old
revision, axe-core in light and dark mode, and every one of the editors' actions done
with the keyboard alone.

The accounts are created in the database for this module and deleted afterwards, as is
any account a test adds; every topic or example a test creates gets a unique slug and is
purged at the end of the test.
"""

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pybackend.models import Item, Revision, User
from pybackend.services import accounts, editing, passwords
from tests.browser.conftest import AXE_TAGS, format_violations
from tests.browser.keyboard import (
    activate,
    assert_visible_focus,
    choose,
    focused,
    pick,
    skip_to_main,
    tab_cycle,
    tab_to,
    type_into,
)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.browser

PW = "correct horse battery staple"
ADMIN = "browser-admin"
EDITOR = "browser-editor"
FLASH = "main .flash[role=status]"


# ---------- Helpers ----------


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def goto(page, url, status=200):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == status, (
        f"{url}: {response and response.status}, expected {status}"
    )
    return response


def submit(page, locator, status=200):
    """Click (or press Enter on) a submit button and wait for the page it leads to."""
    with page.expect_navigation(wait_until="load") as nav:
        locator.click()
    assert nav.value.status == status, f"{page.url}: {nav.value.status}, expected {status}"
    return nav.value


def forget_http_error(page, status):
    """The console reports an expected error status of a navigation; that is no problem."""
    page.problems.errors = [
        e for e in page.problems.errors if f"responded with a status of {status}" not in e
    ]


def login(page, base, username=ADMIN, password=PW):
    goto(page, base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    submit(page, page.locator("form.stack button[type=submit]"))
    assert path_of(page.url) == "/admin/"


def unique_slug(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def item_id(dbengine, slug, item_type="topic"):
    with Session(bind=dbengine) as s:
        return s.scalar(select(Item.id).where(Item.slug == slug, Item.type == item_type))


def edit_url(base, topic_id):
    return f"{base}/admin/topics/{topic_id}"


# ---------- Fixtures ----------


@pytest.fixture(scope="module")
def users(dbengine):
    """An administrator and an editor, straight into the database; gone afterwards."""
    names = {ADMIN: "admin", EDITOR: "editor"}
    with Session(bind=dbengine) as s:
        s.execute(delete(User).where(User.username.in_(names)))
        for name, role in names.items():
            accounts.create_user(s, name, PW, role)
        s.commit()
    yield names
    with Session(bind=dbengine) as s:
        s.execute(delete(User).where(User.username.in_(names)))
        s.commit()


def _storage_state(browser, base, username):
    context = browser.new_context()
    try:
        login(context.new_page(), base, username)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def admin_state(browser, live_server, users):
    """The cookies of a logged-in administrator, shared by the tests' fresh contexts."""
    return _storage_state(browser, live_server, ADMIN)


@pytest.fixture(scope="module")
def editor_state(browser, live_server, users):
    return _storage_state(browser, live_server, EDITOR)


@pytest.fixture
def admin(new_page, admin_state):
    """A fresh context (JavaScript on), logged in as the administrator."""
    return new_page(storage_state=admin_state)


@pytest.fixture
def topics(dbengine, users):
    """``topics(title=..., summary=...)`` creates a published topic; all are purged after."""
    created = []

    def make(title="Topik Peramban", summary="Ringkasan awal.", body="Isi awal."):
        slug = unique_slug("browser")
        with Session(bind=dbengine) as s:
            user = accounts.get_user(s, ADMIN)
            draft = editing.Draft(
                fields={"slug": slug, "kind": "library", "website": "", "package": ""},
                texts={"id": {"title": title, "summary": summary, "body": body}},
            )
            item = editing.create_item(s, "topic", draft, user, publish=True)
            s.commit()
            created.append(item.id)
            return item.id, slug

    yield make
    purge(dbengine, created)


@pytest.fixture
def purge_slugs(dbengine):
    """Slugs of topics and examples a test creates through the browser; purged after it."""
    slugs = []
    yield slugs
    with Session(bind=dbengine) as s:
        ids = list(s.scalars(select(Item.id).where(Item.slug.in_(slugs))))
    purge(dbengine, ids)


def purge(dbengine, ids):
    with Session(bind=dbengine) as s:
        for item in s.scalars(select(Item).where(Item.id.in_(ids))):
            editing.purge_item(s, item)
        s.commit()


AXE_RUN_JS = """async (tags) =>
  (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"""


@pytest.fixture
def a11y(axe_source):
    """``a11y.check(page)`` runs axe-core on the loaded page in light, then dark mode (one
    injection; the colour scheme is switched in place; ``dark=False``: light only) and
    keeps what it finds. ``a11y.assert_none()`` then fails with every finding of the test,
    so that one page's violations neither hide the others nor stop the scenario."""

    class A11y:
        def __init__(self):
            self.failures = []

        def check(self, page, dark=True):
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(axe_source)
            for scheme in ("light", "dark") if dark else ("light",):
                page.emulate_media(color_scheme=scheme)
                assert page.evaluate(
                    "(s) => matchMedia(`(prefers-color-scheme: ${s})`).matches", scheme
                )
                violations = page.evaluate(AXE_RUN_JS, AXE_TAGS)
                if violations:
                    self.failures.append(f"[{scheme}] " + format_violations(page.url, violations))
            page.emulate_media(color_scheme="light")

        def assert_none(self):
            assert not self.failures, "\n".join(self.failures)

    return A11y()


# ---------- 1. Logging in and out ----------


def test_login_with_the_form_and_logout(page, live_server, users):
    goto(page, live_server + "/login")
    page.locator("#username").press_sequentially(ADMIN)
    page.locator("#password").press_sequentially(PW)
    with page.expect_navigation(wait_until="load") as nav:
        page.locator("#password").press("Enter")
    assert nav.value.status == 200
    assert path_of(page.url) == "/admin/"
    expect(page.locator("h1")).to_have_text("Dasbor")
    expect(page.locator(".user-bar strong")).to_have_text(ADMIN)
    expect(page.locator(FLASH)).to_contain_text(ADMIN)

    logout = page.locator(".user-bar form[action='/logout'] button")
    submit(page, logout)
    assert path_of(page.url) == "/"
    expect(page.locator(".user-bar")).to_have_count(0)
    expect(page.locator("footer a[href='/login']")).to_be_visible()
    # The session is gone on the server too: the editors' area asks for a login again.
    page.goto(live_server + "/admin/", wait_until="load")
    assert path_of(page.url).startswith("/login")
    page.problems.assert_none()


# ---------- 2. Writing a topic: live preview, publish; the preview without JavaScript ----------


def fill_new_topic(page, slug, title):
    page.fill("#slug", slug)
    page.fill("#title", title)
    page.fill("#summary", "Ringkasan dari peramban.")
    page.locator("#body").press_sequentially("Teks **tebal** dan [Django](topic:django).")


def test_create_topic_with_live_preview_and_publish(admin, live_server, purge_slugs):
    page = admin
    slug = unique_slug("browser-new")
    purge_slugs.append(slug)
    goto(page, live_server + "/admin/topics/new")
    fill_new_topic(page, slug, "Topik Baru Peramban")

    preview = page.locator(".preview[data-lang='id'] .prose")
    expect(preview.locator("strong")).to_have_text("tebal")
    django = preview.locator("a", has_text="Django")
    expect(django).to_have_attribute("href", re.compile(r"(^|//[^/]+)/topics/django$"))

    submit(page, page.locator("button[name=action][value=publish]"))
    assert re.fullmatch(r"/admin/topics/\d+", path_of(page.url)), page.url
    expect(page.locator(FLASH)).to_contain_text("Topik Baru Peramban")
    page.problems.assert_none()

    goto(page, f"{live_server}/topics/{slug}")
    expect(page.locator("h1")).to_have_text("Topik Baru Peramban")
    expect(page.locator(".prose strong", has_text="tebal")).to_be_visible()
    expect(page.locator(".prose a[href$='/topics/django']")).to_have_text("Django")


def test_preview_button_without_javascript(new_page, admin_state, live_server, dbengine):
    page = new_page(storage_state=admin_state, java_script_enabled=False)
    slug = unique_slug("browser-nojs")
    goto(page, live_server + "/admin/topics/new")
    fill_new_topic(page, slug, "Pratinjau Tanpa JS")
    expect(page.locator(".preview[data-lang='id'] .prose")).to_be_empty()

    submit(page, page.locator("button[name=action][value=preview]"))
    preview = page.locator(".preview[data-lang='id'] .prose")
    expect(preview.locator("strong")).to_have_text("tebal")
    expect(preview.locator("a[href$='/topics/django']")).to_have_text("Django")
    # The form keeps what was typed, and nothing was saved.
    expect(page.locator("#slug")).to_have_value(slug)
    assert item_id(dbengine, slug) is None


# ---------- 3. The unsaved-changes warning ----------


def test_unsaved_changes_warning(admin, live_server, topics):
    page = admin
    topic_id, _slug = topics()
    goto(page, edit_url(live_server, topic_id))
    page.locator("#summary").press("Control+End")
    page.keyboard.type(" Diubah.")
    dashboard = page.locator("nav.admin-nav a[href='/admin/']")

    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", on_dialog)
    dashboard.click()
    page.wait_for_function("() => true")  # let the dialog event be dispatched
    assert dialogs == ["beforeunload"]
    # Staying: still on the form, with the text.
    expect(page.locator("#summary")).to_have_value("Ringkasan awal. Diubah.")
    assert path_of(page.url) == f"/admin/topics/{topic_id}"

    # Saving is not leaving with unsaved changes; after it, leaving asks nothing.
    dialogs.clear()
    submit(page, page.locator("button[name=action][value=save]"))
    expect(page.locator(FLASH)).to_be_visible()
    expect(page.locator("#summary")).to_have_value("Ringkasan awal. Diubah.")
    submit(page, dashboard)
    assert path_of(page.url) == "/admin/"
    assert dialogs == []
    page.problems.assert_none()


# ---------- 4. Two editors, one topic: the merge screen ----------


def test_conflict_merge_screen(new_page, admin_state, editor_state, live_server, topics, a11y):
    topic_id, slug = topics(title="Judul Awal", summary="Ringkasan awal.")
    first = new_page(storage_state=admin_state)
    second = new_page(storage_state=editor_state)
    goto(first, edit_url(live_server, topic_id))
    goto(second, edit_url(live_server, topic_id))

    first.fill("#title", "Judul Pertama")
    first.fill("#summary", "Ringkasan dari editor pertama.")
    submit(first, first.locator("button[name=action][value=save]"))
    expect(first.locator(FLASH)).to_be_visible()

    second.fill("#title", "Judul Kedua")
    second.fill("#summary", "Ringkasan dari editor kedua.")
    response = submit(second, second.locator("button[name=action][value=save]"), status=409)
    assert response.status == 409
    forget_http_error(second, 409)
    conflict = second.locator("section.conflict")
    expect(conflict).to_be_visible()
    summary_field = conflict.locator(
        "fieldset.merge-field", has=second.locator("#take-summary-mine")
    )
    expect(summary_field.locator("pre[data-side=saved]")).to_have_text(
        "Ringkasan dari editor pertama."
    )
    expect(summary_field.locator("pre[data-side=mine]")).to_have_text(
        "Ringkasan dari editor kedua."
    )
    title_field = conflict.locator("fieldset.merge-field", has=second.locator("#take-title-mine"))
    expect(title_field.locator("pre[data-side=saved]")).to_have_text("Judul Pertama")
    expect(title_field.locator("pre[data-side=mine]")).to_have_text("Judul Kedua")
    # Nothing is lost: the form still holds the second editor's text.
    expect(second.locator("#summary")).to_have_value("Ringkasan dari editor kedua.")
    a11y.check(second)

    # Take the saved title; merge the two summaries by hand.
    second.locator("#take-title-saved").check()
    merged = "Ringkasan dari editor pertama, digabung dengan editor kedua."
    second.fill("#summary", merged)
    submit(second, second.locator("button[name=action][value=save]"))
    expect(second.locator(FLASH)).to_be_visible()
    expect(second.locator("section.conflict")).to_have_count(0)
    expect(second.locator("#title")).to_have_value("Judul Pertama")

    goto(second, f"{live_server}/topics/{slug}")
    expect(second.locator("h1")).to_have_text("Judul Pertama")
    expect(second.locator("p.lead")).to_have_text(merged)
    first.problems.assert_none()
    second.problems.assert_none()
    a11y.assert_none()


# ---------- 5. Into the trash and back ----------


def used_by_links(page):
    section = page.locator("section[aria-labelledby='used-by']")
    return sorted(a.get_attribute("href") for a in section.locator("a[href]").all())


def test_delete_to_trash_and_restore(admin, live_server, dbengine, a11y):
    page = admin
    kafka = item_id(dbengine, "kafka")
    assert kafka is not None
    try:
        goto(page, f"{live_server}/topics/kafka")
        used_by = used_by_links(page)
        assert any(href.endswith("/examples/spotify") for href in used_by), used_by

        goto(page, edit_url(live_server, kafka))
        with page.expect_navigation(wait_until="load"):
            page.locator(".item-actions a", has_text="Hapus").click()
        assert path_of(page.url) == f"/admin/topics/{kafka}/delete"
        impact = page.locator("ul.impact")
        expect(impact).to_contain_text(re.compile(r"Ditautkan oleh [1-9]\d* hubungan"))
        expect(impact).to_contain_text(re.compile(r"Disebut dalam isi [1-9]\d* halaman"))
        submit(page, page.get_by_role("button", name="Pindahkan ke tempat sampah"))
        expect(page.locator(FLASH)).to_contain_text("tempat sampah")

        goto(page, f"{live_server}/topics/kafka", status=404)
        forget_http_error(page, 404)

        goto(page, live_server + "/admin/trash")
        row = page.locator("tr", has=page.locator("code", has_text=re.compile(r"^kafka$")))
        expect(row).to_have_count(1)
        a11y.check(page, dark=False)
        submit(page, row.get_by_role("button", name=re.compile("^Pulihkan")))
        expect(page.locator(FLASH)).to_contain_text("Dipulihkan")

        goto(page, f"{live_server}/topics/kafka")
        assert used_by_links(page) == used_by
    finally:
        with Session(bind=dbengine) as s:
            item = s.get(Item, kafka)
            if item.deleted_at is not None:
                editing.restore_item(s, item, None, comment="browser test cleanup")
                s.commit()
    page.problems.assert_none()
    a11y.assert_none()


# ---------- 6. History: compare two revisions, restore the older ----------


def test_history_diff_and_restore_old_revision(admin, live_server, topics, a11y):
    page = admin
    topic_id, _slug = topics(title="Judul Lama")
    goto(page, edit_url(live_server, topic_id))
    page.fill("#title", "Judul Baru")
    submit(page, page.locator("button[name=action][value=save]"))
    expect(page.locator("#title")).to_have_value("Judul Baru")

    with page.expect_navigation(wait_until="load"):
        page.locator(".item-actions a", has_text="Riwayat").click()
    assert path_of(page.url) == f"/admin/topics/{topic_id}/history"
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    a11y.check(page, dark=False)

    # The newest two are preselected: #1 -> #2.
    expect(page.locator("#from-1")).to_be_checked()
    expect(page.locator("#to-2")).to_be_checked()
    submit(page, page.get_by_role("button", name="Bandingkan"))
    url = urlsplit(page.url)
    assert url.path == f"/admin/topics/{topic_id}/diff"
    assert parse_qs(url.query) == {"from": ["1"], "to": ["2"]}
    title_diff = page.locator("section.diff-field", has=page.locator("h2", has_text="Judul"))
    expect(title_diff.locator("del")).to_contain_text("Lama")
    expect(title_diff.locator("ins")).to_contain_text("Baru")
    a11y.check(page)

    with page.expect_navigation(wait_until="load"):
        page.locator(".eyebrow a", has_text="Riwayat").click()
    submit(page, page.locator("button[form='revert-1']"))
    expect(page.locator(FLASH)).to_contain_text("#1")
    expect(rows).to_have_count(3)

    goto(page, edit_url(live_server, topic_id))
    expect(page.locator("#title")).to_have_value("Judul Lama")
    page.problems.assert_none()
    a11y.assert_none()


# ---------- 7. axe-core on the editors' pages, light and dark ----------
# Also checked in the scenarios above: the merge screen (light and dark), the trash with a
# page in it, the history, and the diff (light and dark).


def test_axe_login_page(page, live_server, a11y):
    goto(page, live_server + "/login")
    a11y.check(page)
    a11y.assert_none()


def test_axe_editor_pages(admin, live_server, dbengine, a11y):
    page = admin
    django = item_id(dbengine, "django")
    edit = f"/admin/topics/{django}"
    # Dark mode too where the brief asks for it: the dashboard and the edit page.
    for path, dark in (
        ("/admin/", True),
        ("/admin/topics", False),
        (edit, True),
        ("/admin/trash", False),
        ("/admin/users", False),
    ):
        goto(page, live_server + path)
        if path == edit:
            # The live preview fills in first: its HTML is part of the page.
            expect(page.locator(".preview[data-lang='id'] .prose")).not_to_be_empty()
        a11y.check(page, dark=dark)
    page.problems.assert_none()
    a11y.assert_none()


# ---------- 8. The keyboard alone ----------
# Every action of the editors' area, with no mouse: focus moves with Tab and Shift+Tab,
# text is typed, a <select> is set by typing, radios move with the arrow keys, and
# controls are activated with Enter or Space (tests/browser/keyboard.py). Every control
# reached must show a visible focus indicator; each step checks what the user would.


def item_state(dbengine, item_id):
    """What the database holds for an item: status, trash, Indonesian text, links, history."""
    with Session(bind=dbengine) as s:
        item = s.get(Item, item_id)
        text = item.texts["id"]
        return {
            "status": item.status,
            "deleted": item.deleted_at is not None,
            "kind": item.kind,
            "title": text.title,
            "summary": text.summary,
            "body": text.body,
            "links": [
                (link.target.slug, link.kind, link.note_id) for link in editing.item_links(item)
            ],
            "revisions": s.scalar(
                select(func.count()).select_from(Revision).where(Revision.item_id == item.id)
            ),
            "last_comment": s.scalars(
                select(Revision.comment)
                .where(Revision.item_id == item.id)
                .order_by(Revision.number.desc())
            ).first(),
        }


def user_row(dbengine, username):
    with Session(bind=dbengine) as s:
        user = accounts.get_user(s, username)
        s.expunge_all()
        return user


@pytest.fixture
def drop_users(dbengine):
    """Usernames a test creates; their accounts are deleted after it."""
    names = []
    yield names
    with Session(bind=dbengine) as s:
        s.execute(delete(User).where(User.username.in_(names)))
        s.commit()


def keyboard_login(page, base, username, password):
    goto(page, base + "/login")
    skip_to_main(page)
    type_into(page, "#username", username)
    page.keyboard.press("Tab")
    assert_visible_focus(page)
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(password)
    activate(page)  # Enter in the password field submits the form


def nav_to(page, href):
    """Follow a link of the editors' navigation (the start of <main>) with Tab and Enter."""
    skip_to_main(page)
    tab_to(page, f".admin-nav a[href='{href}']")
    activate(page)
    assert path_of(page.url) == href


def test_keyboard_login_page(page, live_server, users):
    goto(page, live_server + "/login")
    tab_cycle(page)

    keyboard_login(page, live_server, ADMIN, PW)
    assert path_of(page.url) == "/admin/"
    expect(page.locator(".user-bar strong")).to_have_text(ADMIN)
    page.problems.assert_none()


ADMIN_PAGES = (
    ("/admin/topics", "Topik"),
    ("/admin/examples", "Contoh"),
    ("/admin/trash", "Tempat sampah"),
    ("/admin/users", "Pengguna"),
    ("/admin/audit", "Log audit"),
    ("/admin/password", "Ganti kata sandi"),
    ("/admin/", "Dasbor"),
)


def test_keyboard_admin_navigation(admin, live_server):
    """From the dashboard to every page of the editors' area and back, each page walked
    with Tab from end to end: every control reachable, every stop visibly focused."""
    page = admin
    goto(page, live_server + "/admin/")
    tab_cycle(page)
    for href, heading in ADMIN_PAGES:
        nav_to(page, href)
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.locator(f".admin-nav a[href='{href}']")).to_have_attribute(
            "aria-current", "page"
        )
        tab_cycle(page)

    # From a reader's page, the user bar leads back into the editors' area.
    goto(page, live_server + "/topics")
    tab_to(page, ".user-bar a[href='/admin/']")
    activate(page)
    assert path_of(page.url) == "/admin/"
    page.problems.assert_none()


def test_keyboard_create_topics_and_filter_the_list(admin, live_server, dbengine, purge_slugs):
    """Two new topics, one saved as a draft (Enter) and one published with a related topic
    (Space); then the list filtered by title and status, submitted by keyboard."""
    page = admin
    mark = uuid.uuid4().hex[:8]
    titles, ids = {}, {}
    goto(page, live_server + "/admin/topics")
    for action, key in (("draft", "Enter"), ("publish", "Space")):
        slug = f"kbd-{action}-{mark}"
        purge_slugs.append(slug)
        titles[action] = f"Papan Ketik {mark} {action}"
        skip_to_main(page)
        tab_to(page, "a.button[href='/admin/topics/new']")
        activate(page)
        assert path_of(page.url) == "/admin/topics/new"
        skip_to_main(page)
        type_into(page, "#slug", slug)
        choose(page, "#kind", "framework")
        type_into(page, "#title", titles[action])
        type_into(page, "#summary", "Ditulis tanpa tetikus.")
        type_into(page, "#body", "Teks **tebal** lewat papan ketik.")
        if action == "publish":
            pick(page, "#links-0-target", "Dja", "django")
            # Options show names; the form stores the key.
            assert choose(page, "#links-0-kind", "Alternatif") == "alternative_to"
            type_into(page, "#links-0-note_id", "Sama-sama kerangka web.")
        tab_to(page, f"button[name=action][value={action}]")
        activate(page, key)
        assert re.fullmatch(r"/admin/topics/\d+", path_of(page.url)), page.url
        expect(page.locator(FLASH)).to_contain_text(f"Tersimpan: {titles[action]}")
        ids[action] = int(path_of(page.url).rsplit("/", 1)[1])
        nav_to(page, "/admin/topics")

    draft, published = item_state(dbengine, ids["draft"]), item_state(dbengine, ids["publish"])
    assert (draft["status"], draft["kind"], draft["title"]) == (
        "draft",
        "framework",
        titles["draft"],
    )
    assert draft["links"] == []
    assert published["status"] == "published"
    assert published["links"] == [("django", "alternative_to", "Sama-sama kerangka web.")]

    # Filter by the start of the title and by status; the button pressed with Space.
    rows = page.locator("table.data tbody tr")
    prefix = f"Papan Ketik {mark}"
    skip_to_main(page)
    type_into(page, "#filter-q", prefix)
    choose(page, "#filter-status", "Draf")
    tab_to(page, ".filters-form button[type=submit]")
    activate(page, "Space")
    assert parse_qs(urlsplit(page.url).query) == {"q": [prefix], "status": ["draft"]}
    expect(rows).to_have_count(1)
    expect(rows.locator("a")).to_have_text(titles["draft"])

    # Every status, submitted with Enter from the search field (Shift+Tab back to it).
    skip_to_main(page)
    choose(page, "#filter-status", "Semua")
    tab_to(page, "#filter-q", backwards=True)
    activate(page)
    assert parse_qs(urlsplit(page.url).query) == {"q": [prefix]}
    expect(rows).to_have_count(2)

    # A row's link leads to its edit page.
    skip_to_main(page)
    tab_to(page, f"table.data a[href='/admin/topics/{ids['publish']}']")
    activate(page)
    expect(page.locator("#title")).to_have_value(titles["publish"])
    page.problems.assert_none()


def test_keyboard_create_example_with_a_topic_and_a_note(admin, live_server, dbengine, purge_slugs):
    page = admin
    goto(page, live_server + "/admin/examples")
    skip_to_main(page)
    type_into(page, "#filter-q", "Spotify")
    activate(page)
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("code")).to_have_text("spotify")

    slug = unique_slug("kbd-example")
    purge_slugs.append(slug)
    skip_to_main(page)
    tab_to(page, "a.button[href='/admin/examples/new']")
    activate(page)
    expect(page.locator("h1")).to_have_text("Contoh baru")
    skip_to_main(page)
    type_into(page, "#slug", slug)
    type_into(page, "#website", "papan-ketik.example")  # no scheme: refused
    type_into(page, "#title", "Contoh Papan Ketik")
    type_into(page, "#summary", "Contoh yang ditulis tanpa tetikus.")
    assert pick(page, "#links-0-target", "django", "django") == "Django django"
    type_into(page, "#links-0-note_id", "Backend-nya memakai Django.")
    tab_to(page, "button[name=action][value=publish]")
    # Refused by the server: focus starts on the notice above the form; the fields follow.
    activate(page, "Space", status=400)
    forget_http_error(page, 400)
    assert focused(page)["id"] == "form-errors"
    expect(page.locator("#website")).to_have_attribute("aria-invalid", "true")
    type_into(page, "#website", "https://papan-ketik.example/", replace=True)
    expect(page.locator("#links-0-note_id")).to_have_value("Backend-nya memakai Django.")
    tab_to(page, "button[name=action][value=publish]")
    activate(page, "Space")
    assert re.fullmatch(r"/admin/examples/\d+", path_of(page.url)), page.url
    expect(page.locator(FLASH)).to_contain_text("Tersimpan: Contoh Papan Ketik")
    state = item_state(dbengine, item_id(dbengine, slug, "example"))
    assert state["status"] == "published"
    assert state["links"] == [("django", "uses", "Backend-nya memakai Django.")]
    page.problems.assert_none()


def test_keyboard_link_picker(admin, live_server, dbengine, topics, a11y):
    """The link picker with the keyboard alone: type, arrows, Escape, Enter fills the slug
    field, then save. The page passes axe-core with the suggestions open and closed."""
    page = admin
    topic_id, _slug = topics(title="Topik Bertaut")
    goto(page, edit_url(live_server, topic_id))
    expect(page.locator(".preview[data-lang='id'] .prose")).not_to_be_empty()
    a11y.check(page)
    field = page.locator("#links-0-target")
    listbox = page.locator("#links-0-target-list")
    expect(field).to_have_attribute("role", "combobox")
    expect(field).to_have_attribute("aria-controls", "links-0-target-list")
    expect(listbox).to_have_attribute("role", "listbox")

    skip_to_main(page)
    tab_to(page, "#links-0-target")
    page.keyboard.type("fla")
    options = listbox.locator("[role=option]")
    expect(options.first).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".links [role=status]")).to_contain_text("saran")
    labels = options.all_inner_texts()
    assert labels and all("fla" in label.lower() for label in labels), labels

    # Down to the first, up wraps to the last, down again to the first.
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    a11y.check(page)  # the suggestions open, one highlighted, light and dark
    expect(listbox).to_be_visible()
    page.keyboard.press("ArrowUp")
    expect(options.last).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", "links-0-target-option-0")
    # Escape closes the list and keeps what was typed; ArrowDown opens it again.
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).to_have_value("fla")
    assert path_of(page.url) == f"/admin/topics/{topic_id}"

    assert pick(page, "#links-0-target", "fla", "flask").endswith("flask")
    assert path_of(page.url) == f"/admin/topics/{topic_id}"  # Enter chose, did not submit
    assert choose(page, "#links-0-kind", "Berkaitan") == "related_to"
    type_into(page, "#links-0-note_id", "Dipilih lewat papan ketik.")
    tab_to(page, "button[name=action][value=save]")
    activate(page)
    expect(page.locator(FLASH)).to_contain_text("Tersimpan: Topik Bertaut")
    assert item_state(dbengine, topic_id)["links"] == [
        ("flask", "related_to", "Dipilih lewat papan ketik.")
    ]
    expect(page.locator("#links-0-target")).to_have_value("flask")
    a11y.check(page, dark=False)
    page.problems.assert_none()
    a11y.assert_none()


def test_link_slug_field_without_javascript(new_page, admin_state, live_server, dbengine, topics):
    """Without JavaScript the picker is a slug field: an unknown slug comes back with an
    error next to it and what was typed; a known one is saved."""
    page = new_page(storage_state=admin_state, java_script_enabled=False)
    topic_id, _slug = topics(title="Tanpa Skrip")
    goto(page, edit_url(live_server, topic_id))
    field = page.locator("#links-0-target")
    assert field.get_attribute("role") is None  # no script made it a combobox
    field.fill("tidak-ada-topik")
    submit(page, page.locator("button[name=action][value=save]"), status=400)
    forget_http_error(page, 400)
    expect(page.locator("#links-0-target-errors")).to_have_text(
        "Tidak ada topik dengan slug tidak-ada-topik."
    )
    expect(field).to_have_value("tidak-ada-topik")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert item_state(dbengine, topic_id)["links"] == []
    field.fill("django")
    submit(page, page.locator("button[name=action][value=save]"))
    assert item_state(dbengine, topic_id)["links"] == [("django", "alternative_to", "")]
    page.problems.assert_none()


def test_keyboard_edit_preview_history_diff_and_restore(admin, live_server, dbengine, topics):
    page = admin
    topic_id, _slug = topics(title="Judul Lama", summary="Ringkasan awal.", body="Isi awal.")
    goto(page, edit_url(live_server, topic_id))
    tab_cycle(page)

    # The server's preview button: the page comes back with the rendered body; nothing saved.
    goto(page, edit_url(live_server, topic_id))
    skip_to_main(page)
    type_into(page, "#title", "Judul Baru", replace=True)
    type_into(page, "#body", " Teks **tebal**.")
    tab_to(page, "button[name=action][value=preview]")
    response = activate(page)
    assert "<strong>tebal</strong>" in response.text()
    expect(page.locator(".preview[data-lang='id'] .prose strong")).to_have_text("tebal")
    expect(page.locator("#title")).to_have_value("Judul Baru")
    assert item_state(dbengine, topic_id)["title"] == "Judul Lama"

    # Save (Enter), then save as a draft (Space): revisions #2 and #3.
    tab_to(page, "button[name=action][value=save]", backwards=True)
    activate(page)
    expect(page.locator(FLASH)).to_contain_text("Tersimpan: Judul Baru")
    state = item_state(dbengine, topic_id)
    assert (state["title"], state["body"]) == ("Judul Baru", "Isi awal. Teks **tebal**.")
    skip_to_main(page)
    type_into(page, "#summary", " Lewat papan ketik.")
    tab_to(page, "button[name=action][value=draft]")
    activate(page, "Space")
    expect(page.locator(FLASH)).to_contain_text("Tersimpan")
    state = item_state(dbengine, topic_id)
    assert (state["status"], state["summary"], state["revisions"]) == (
        "draft",
        "Ringkasan awal. Lewat papan ketik.",
        3,
    )

    # History: the newest two are preselected (#2 -> #3); the arrow keys pick #1 instead.
    skip_to_main(page)
    tab_to(page, ".item-actions a[href$='/history']")
    activate(page)
    assert path_of(page.url) == f"/admin/topics/{topic_id}/history"
    expect(page.locator("table.history tbody tr")).to_have_count(3)
    skip_to_main(page)
    tab_to(page, "#from-2")
    page.keyboard.press("ArrowDown")
    assert assert_visible_focus(page)["id"] == "from-1"
    expect(page.locator("#from-1")).to_be_checked()
    tab_to(page, "#compare-form button.primary")
    activate(page)
    url = urlsplit(page.url)
    assert url.path == f"/admin/topics/{topic_id}/diff"
    assert parse_qs(url.query) == {"from": ["1"], "to": ["3"]}
    title_diff = page.locator("section.diff-field", has=page.locator("h2", has_text="Judul"))
    expect(title_diff.locator("del")).to_contain_text("Lama")
    expect(title_diff.locator("ins")).to_contain_text("Baru")

    # Revision #1 as it was; then back to the history and restore it as revision #4.
    skip_to_main(page)
    tab_to(page, f"a[href='/admin/topics/{topic_id}/revisions/1']")
    activate(page)
    expect(page.locator("h1")).to_contain_text("Revisi #1")
    tab_cycle(page)
    skip_to_main(page)
    tab_to(page, ".eyebrow a")
    activate(page)
    tab_to(page, "button[form='revert-1']", backwards=True)
    activate(page)
    expect(page.locator(FLASH)).to_contain_text("#1")
    expect(page.locator("table.history tbody tr")).to_have_count(4)
    state = item_state(dbengine, topic_id)
    assert (state["title"], state["summary"], state["revisions"]) == (
        "Judul Lama",
        "Ringkasan awal.",
        4,
    )
    page.problems.assert_none()


def test_keyboard_conflict_merge(
    new_page, admin_state, editor_state, live_server, dbengine, topics
):
    topic_id, _slug = topics(title="Judul Awal", summary="Ringkasan awal.")
    first = new_page(storage_state=admin_state)
    second = new_page(storage_state=editor_state)
    goto(first, edit_url(live_server, topic_id))
    goto(second, edit_url(live_server, topic_id))

    skip_to_main(first)
    type_into(first, "#title", "Judul Pertama", replace=True)
    type_into(first, "#summary", "Ringkasan dari editor pertama.", replace=True)
    tab_to(first, "button[name=action][value=save]")
    activate(first)
    expect(first.locator(FLASH)).to_be_visible()

    skip_to_main(second)
    type_into(second, "#title", "Judul Kedua", replace=True)
    type_into(second, "#summary", "Ringkasan dari editor kedua.", replace=True)
    tab_to(second, "button[name=action][value=save]")
    activate(second, status=409)
    forget_http_error(second, 409)
    expect(second.locator("section.conflict fieldset.merge-field")).to_have_count(2)
    # Focus starts on the conflict notice; the next Tab is inside it, not in the header.
    assert focused(second)["id"] == "conflict"
    second.keyboard.press("Tab")
    assert second.evaluate("() => !!document.activeElement.closest('section.conflict')")
    assert_visible_focus(second)
    tab_cycle(second)

    # Title: move from "mine" (checked) to "saved" with an arrow key.
    tab_to(second, "#take-title-mine")
    second.keyboard.press("ArrowRight")
    assert assert_visible_focus(second)["id"] == "take-title-saved"
    expect(second.locator("#take-title-saved")).to_be_checked()
    # Summary: keep mine, merged by hand in the form.
    merged = "Ringkasan dari editor pertama, digabung dengan editor kedua."
    type_into(second, "#summary", merged, replace=True)
    tab_to(second, "button[name=action][value=save]")
    activate(second)
    expect(second.locator(FLASH)).to_contain_text("Tersimpan")
    expect(second.locator("section.conflict")).to_have_count(0)
    state = item_state(dbengine, topic_id)
    assert (state["title"], state["summary"]) == ("Judul Pertama", merged)
    first.problems.assert_none()
    second.problems.assert_none()


def test_keyboard_delete_to_trash_and_restore(admin, live_server, dbengine, topics):
    page = admin
    topic_id, slug = topics(title="Dibuang Lewat Papan Ketik")
    goto(page, edit_url(live_server, topic_id))
    skip_to_main(page)
    tab_to(page, ".item-actions a[href$='/delete']")
    activate(page)
    assert path_of(page.url) == f"/admin/topics/{topic_id}/delete"
    tab_cycle(page)
    skip_to_main(page)
    type_into(page, "#comment", "Uji papan ketik")
    tab_to(page, "button.danger[type=submit]")
    activate(page)
    assert path_of(page.url) == "/admin/topics"
    expect(page.locator(FLASH)).to_contain_text("tempat sampah")
    state = item_state(dbengine, topic_id)
    assert state["deleted"] and state["last_comment"] == "Uji papan ketik"

    nav_to(page, "/admin/trash")
    skip_to_main(page)
    tab_to(page, f"form[action='/admin/trash/{topic_id}/restore'] button")
    activate(page, "Space")
    expect(page.locator(FLASH)).to_contain_text("Dipulihkan: Dibuang Lewat Papan Ketik")
    assert not item_state(dbengine, topic_id)["deleted"]
    goto(page, f"{live_server}/topics/{slug}")
    page.problems.assert_none()


def test_keyboard_users_and_audit_log(admin, live_server, dbengine, drop_users):
    """Add an account, make it an admin, disable it; then find that in the audit log."""
    page = admin
    name = f"kbd-{uuid.uuid4().hex[:8]}"
    drop_users.append(name)
    goto(page, live_server + "/admin/users")
    skip_to_main(page)
    tab_to(page, "a.button[href='/admin/users/new']")
    activate(page)
    skip_to_main(page)
    type_into(page, "#username", name)
    choose(page, "#role", "editor")
    type_into(page, "#password", "short")
    type_into(page, "#password_confirm", "short")
    tab_to(page, "form.stack button[type=submit]")
    activate(page, status=400)
    forget_http_error(page, 400)
    # Refused (a too-short password): focus starts on the notice, the name is kept.
    expect(page.locator("#form-errors")).to_be_visible()
    assert focused(page)["id"] == "form-errors"
    assert page.locator("#username").input_value() == name
    type_into(page, "#password", PW, replace=True)
    type_into(page, "#password_confirm", PW, replace=True)
    tab_to(page, "form.stack button[type=submit]")
    activate(page)
    assert path_of(page.url) == "/admin/users"
    expect(page.locator(FLASH)).to_contain_text(f"Akun {name} dibuat")
    user = user_row(dbengine, name)
    assert (user.role, user.disabled_at) == ("editor", None)

    skip_to_main(page)
    tab_to(page, f"a[href='/admin/users/{user.id}']")
    activate(page)
    skip_to_main(page)
    choose(page, "#role", "admin")
    tab_to(page, "#role-form button[type=submit]")
    activate(page)
    expect(page.locator(FLASH)).to_contain_text(f"Peran {name} sekarang admin")
    assert user_row(dbengine, name).role == "admin"

    tab_to(page, "button[name=action][value=disable]", backwards=True)
    activate(page, "Space")
    expect(page.locator(FLASH)).to_contain_text(f"Akun {name} dinonaktifkan")
    assert user_row(dbengine, name).disabled_at is not None
    tab_cycle(page)  # the page of a disabled account: "enable" is reachable

    # The audit log, filtered by action, user and object type; Enter in the text field.
    nav_to(page, "/admin/audit")
    skip_to_main(page)
    choose(page, "#audit-action", "user.role")
    type_into(page, "#audit-username", ADMIN)
    choose(page, "#audit-object-type", "user")
    tab_to(page, "#audit-username", backwards=True)
    activate(page)
    assert parse_qs(urlsplit(page.url).query) == {
        "action": ["user.role"],
        "username": [ADMIN],
        "object_type": ["user"],
    }
    rows = page.locator("table.audit tbody tr")
    expect(rows.first.locator("a")).to_have_attribute("href", f"/admin/users/{user.id}")
    for action in rows.locator("td:nth-child(3) code").all_inner_texts():
        assert action == "user.role"
    # Clearing the filters: the link, then the button (Space) with the action reset.
    skip_to_main(page)
    tab_to(page, ".filters-form a[href='/admin/audit']")
    activate(page)
    assert path_of(page.url) == "/admin/audit"
    skip_to_main(page)
    choose(page, "#audit-action", "user.disable")
    tab_to(page, ".filters-form button[type=submit]")
    activate(page, "Space")
    assert parse_qs(urlsplit(page.url).query) == {"action": ["user.disable"]}
    expect(rows.first.locator("a")).to_have_attribute("href", f"/admin/users/{user.id}")
    page.problems.assert_none()


def test_keyboard_change_password_and_logout(page, live_server, dbengine, drop_users):
    name = f"kbd-{uuid.uuid4().hex[:8]}"
    drop_users.append(name)
    with Session(bind=dbengine) as s:
        accounts.create_user(s, name, PW, "editor")
        s.commit()
    new_password = "papan ketik tanpa tetikus 42"

    keyboard_login(page, live_server, name, PW)
    assert path_of(page.url) == "/admin/"
    nav_to(page, "/admin/password")
    skip_to_main(page)
    type_into(page, "#current_password", PW)
    type_into(page, "#password", new_password)
    type_into(page, "#password_confirm", new_password)
    tab_to(page, "form.stack button[type=submit]")
    activate(page)
    expect(page.locator(FLASH)).to_contain_text("Kata sandi diganti")
    ok, _rehash = passwords.verify_password(user_row(dbengine, name).password_hash, new_password)
    assert ok

    # Log out from the user bar, then in again with the new password.
    tab_to(page, ".user-bar button[type=submit]")
    activate(page)
    assert path_of(page.url) == "/"
    expect(page.locator(".user-bar")).to_have_count(0)
    keyboard_login(page, live_server, name, new_password)
    assert path_of(page.url) == "/admin/"
    expect(page.locator(".user-bar strong")).to_have_text(name)
    page.problems.assert_none()


# ---------- The editors' area in English ----------

ENGLISH_EDITOR = "browser-english"


@pytest.fixture
def english_editor(dbengine):
    with Session(bind=dbengine) as s:
        s.execute(delete(User).where(User.username == ENGLISH_EDITOR))
        accounts.create_user(s, ENGLISH_EDITOR, PW, "editor")
        s.commit()
    yield ENGLISH_EDITOR
    with Session(bind=dbengine) as s:
        s.execute(delete(User).where(User.username == ENGLISH_EDITOR))
        s.commit()


def test_an_editor_works_in_english(new_page, live_server, dbengine, english_editor, a11y):
    page = new_page()
    login(page, live_server, english_editor)
    assert page.locator("html").get_attribute("lang") == "id"
    page.select_option("#admin-language", "en")
    submit(page, page.get_by_role("button", name="Ganti bahasa"))
    assert path_of(page.url) == "/admin/"
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.get_by_role("navigation", name="Editors' area")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    a11y.check(page, dark=False)
    django = item_id(dbengine, "django")
    goto(page, edit_url(live_server, django))
    expect(page.get_by_label("Title", exact=True)).to_have_value("Django")
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    expect(page.locator(".preview[data-lang='id'] .prose")).not_to_be_empty()
    a11y.check(page, dark=False)
    narrow = new_page(
        viewport={"width": 320, "height": 640}, storage_state=page.context.storage_state()
    )
    goto(narrow, edit_url(live_server, django))
    assert narrow.locator("html").get_attribute("lang") == "en"
    a11y.check(narrow, dark=False)
    # The reader's pages still follow their address.
    goto(page, live_server + "/topics/django")
    assert page.locator("html").get_attribute("lang") == "id"
    page.problems.assert_none()
    a11y.assert_none()
