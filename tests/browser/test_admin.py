"""The editors' area in a real Chromium: logging in and out, writing with the live preview,
the unsaved-changes warning, the merge screen after a conflict, the trash, restoring an old
revision, axe-core in light and dark mode, and the keyboard alone.

The accounts are created in the database for this module and deleted afterwards; every
topic a test creates gets a unique slug and is purged at the end of the test.
"""

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pybackend.models import Item, User
from pybackend.services import accounts, editing
from tests.browser.conftest import AXE_TAGS, format_violations
from tests.browser.keyboard import tab_cycle, tab_to

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
    """Slugs of topics a test creates through the browser; purged after the test."""
    slugs = []
    yield slugs
    purge(dbengine, [i for i in (item_id(dbengine, slug) for slug in slugs) if i is not None])


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


def test_keyboard_login_page(page, live_server, users):
    goto(page, live_server + "/login")
    tab_cycle(page)

    goto(page, live_server + "/login")
    tab_to(page, "#username")
    page.keyboard.type(ADMIN)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(PW)
    with page.expect_navigation(wait_until="load") as nav:
        page.keyboard.press("Enter")
    assert nav.value.status == 200
    assert path_of(page.url) == "/admin/"
    expect(page.locator(".user-bar strong")).to_have_text(ADMIN)
    page.problems.assert_none()


def test_keyboard_edit_page(admin, live_server, topics):
    page = admin
    topic_id, _slug = topics(summary="Ringkasan awal.")
    goto(page, edit_url(live_server, topic_id))
    tab_cycle(page)

    goto(page, edit_url(live_server, topic_id))
    tab_to(page, "#summary")
    page.keyboard.press("Control+End")
    page.keyboard.type(" Lewat papan ketik.")
    tab_to(page, "button[name=action][value=save]")
    with page.expect_navigation(wait_until="load") as nav:
        page.keyboard.press("Enter")
    assert nav.value.status == 200
    expect(page.locator(FLASH)).to_contain_text("Tersimpan")
    expect(page.locator("#summary")).to_have_value("Ringkasan awal. Lewat papan ketik.")
    page.problems.assert_none()
