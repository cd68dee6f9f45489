"""The editors' tools in a real Chromium: autosave and recovery (a reload mid-edit, a
closed tab, an autosave that meets someone else's newer save), the schedule, review and
settings controls with the keyboard alone, and axe-core on every new screen."""

# The fixtures come from test_admin.py (the same accounts and helpers); test arguments
# naming them are not redefinitions.
# ruff: noqa: F811

import datetime as dt

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pybackend.models import Autosave, Item, ReviewRequest, Schedule, SiteSetting
from pybackend.services import accounts, clock, editing
from tests.browser.conftest import PageProblems
from tests.browser.keyboard import activate, tab_cycle, tab_to, type_into
from tests.browser.test_admin import (  # noqa: F401 (fixtures)
    ADMIN,
    EDITOR,
    FLASH,
    a11y,
    admin,
    admin_state,
    edit_url,
    editor_state,
    forget_http_error,
    goto,
    submit,
    topics,
    users,
)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.browser
STATUS = "#autosave-status"


@pytest.fixture(autouse=True)
def clean_tools(dbengine):
    """No autosave, schedule, review request or setting outlives a test."""
    yield
    with Session(bind=dbengine) as s:
        for model in (Autosave, Schedule, ReviewRequest, SiteSetting):
            s.execute(delete(model))
        s.commit()


def leave_freely(page):
    """Accept the unsaved-changes warning: the test leaves on purpose."""
    page.on("dialog", lambda dialog: dialog.accept())


def body_of(dbengine, topic_id):
    with Session(bind=dbengine) as s:
        return s.get(Item, topic_id).texts["id"].body


def wait_autosaved(page, state="saved"):
    expect(page.locator(STATUS)).to_have_attribute("data-state", state, timeout=15_000)


def test_a_reload_mid_edit_and_a_closed_tab_offer_the_text_back(
    new_page, admin_state, live_server, dbengine, topics, a11y
):
    topic_id, _slug = topics(body="Isi awal.")
    page = new_page(storage_state=admin_state)
    leave_freely(page)
    goto(page, edit_url(live_server, topic_id))
    type_into(page, "#body", " Kalimat yang belum disimpan.")
    wait_autosaved(page)
    expect(page.locator(STATUS)).to_contain_text("Disimpan otomatis")
    page.reload(wait_until="load")
    recovery = page.locator("#recovery")
    expect(recovery).to_be_visible()
    expect(recovery.locator(".diff ins")).to_contain_text("Kalimat yang belum disimpan.")
    assert body_of(dbengine, topic_id) == "Isi awal."  # only an autosave so far
    a11y.check(page)
    # The tab is closed; a new one opens the item again: the offer is still there.
    context = page.context
    page.close()
    page = context.new_page()
    page.problems = PageProblems(page)
    goto(page, edit_url(live_server, topic_id))
    expect(page.locator("#recovery")).to_be_visible()
    # Restore with the keyboard, then save with the keyboard.
    tab_to(page, "#recovery a.button")
    activate(page)
    expect(page.locator("#body")).to_have_value("Isi awal. Kalimat yang belum disimpan.")
    a11y.check(page)
    tab_to(page, "button[name=action][value=save]")
    activate(page)
    expect(page.locator(FLASH)).to_be_visible()
    expect(page.locator("#recovery")).to_have_count(0)
    assert body_of(dbengine, topic_id) == "Isi awal. Kalimat yang belum disimpan."
    with Session(bind=dbengine) as s:
        assert s.scalars(select(Autosave)).first() is None
    page.problems.assert_none()
    a11y.assert_none()


def test_an_autosave_that_meets_a_newer_save_overwrites_nothing(
    new_page, admin_state, live_server, dbengine, topics
):
    topic_id, _slug = topics(body="Isi awal.")
    page = new_page(storage_state=admin_state)
    leave_freely(page)
    goto(page, edit_url(live_server, topic_id))
    # Someone else saves the body after this form was loaded.
    with Session(bind=dbengine) as s:
        item = s.get(Item, topic_id)
        snap = editing.snapshot(item)
        texts = {lang: {n: v[n] for n in editing.TEXT_FIELDS} for lang, v in snap["texts"].items()}
        texts["id"]["body"] = "Teks editor lain."
        draft = editing.Draft(
            fields={n: snap[n] for n in editing.ITEM_FIELDS}, texts=texts, links=snap["links"]
        )
        editing.update_item(s, item, item.version, draft, accounts.get_user(s, EDITOR))
        s.commit()
    type_into(page, "#body", " Tambahan saya.")
    wait_autosaved(page, "newer")
    expect(page.locator(STATUS)).to_contain_text("layar penggabungan")
    assert body_of(dbengine, topic_id) == "Teks editor lain."
    # Saving meets the version check: the merge screen, with my text still in the form.
    response = submit(page, page.locator("button[name=action][value=save]"), status=409)
    forget_http_error(page, 409)
    assert response.status == 409
    expect(page.locator("section.conflict")).to_be_visible()
    expect(page.locator("#body")).to_have_value("Isi awal. Tambahan saya.")
    assert body_of(dbengine, topic_id) == "Teks editor lain."
    # Opened again, the form offers my autosave, saying that the page moved on since.
    goto(page, edit_url(live_server, topic_id))
    expect(page.locator("#recovery")).to_contain_text("layar penggabungan")
    page.problems.assert_none()


def test_an_expired_session_keeps_the_last_autosave(
    new_page, browser, live_server, dbengine, topics, users
):
    from pybackend.models import UserSession
    from tests.browser.test_admin import _storage_state

    topic_id, _slug = topics(body="Isi awal.")
    with Session(bind=dbengine) as s:
        before = s.scalar(select(func.max(UserSession.id))) or 0
    page = new_page(storage_state=_storage_state(browser, live_server, ADMIN))
    leave_freely(page)
    goto(page, edit_url(live_server, topic_id))
    type_into(page, "#body", " Sebelum sesi berakhir.")
    wait_autosaved(page)
    with Session(bind=dbengine) as s:  # this session ends (idle timeout, logout elsewhere)
        s.execute(delete(UserSession).where(UserSession.id > before))
        s.commit()
    type_into(page, "#body", " Sesudahnya.")
    wait_autosaved(page, "failed")
    expect(page.locator("#body")).to_have_value("Isi awal. Sebelum sesi berakhir. Sesudahnya.")
    # Logged in again, the editor is offered what was saved before the session ended.
    again = new_page(storage_state=_storage_state(browser, live_server, ADMIN))
    goto(again, edit_url(live_server, topic_id))
    expect(again.locator("#recovery .diff ins")).to_contain_text("Sebelum sesi berakhir.")
    again.problems.assert_none()


def test_keyboard_schedule_review_and_settings_with_axe(
    new_page, admin_state, editor_state, live_server, dbengine, users, a11y
):
    with Session(bind=dbengine) as s:
        draft = editing.Draft(
            fields={"slug": "jadwal-peramban", "kind": "library", "website": "", "package": ""},
            texts={"id": {"title": "Jadwal Peramban", "summary": "", "body": ""}},
        )
        item = editing.create_item(s, "topic", draft, accounts.get_user(s, ADMIN))
        s.commit()
        topic_id = item.id
    try:
        admin = new_page(storage_state=admin_state)
        # Settings: turn the review step on with the keyboard.
        goto(admin, live_server + "/admin/settings")
        tab_cycle(admin)
        a11y.check(admin)
        tab_to(admin, "#review_required")
        admin.keyboard.press("Space")
        tab_to(admin, "#settings-form button[type=submit]")
        activate(admin)
        expect(admin.locator(FLASH)).to_be_visible()
        expect(admin.locator("#review_required")).to_be_checked()

        # An editor submits for review with the keyboard.
        editor = new_page(storage_state=editor_state)
        goto(editor, edit_url(live_server, topic_id))
        expect(editor.locator("button[name=action][value=publish]")).to_have_count(0)
        tab_to(editor, "button[name=action][value=submit]")
        activate(editor)
        expect(editor.locator(FLASH)).to_contain_text("Diajukan")
        a11y.check(editor)

        # The administrator sees it waiting, sends it back, then schedules its publication.
        goto(admin, live_server + "/admin/")
        expect(admin.locator("#review-title")).to_have_text("Menunggu tinjauan Anda")
        a11y.check(admin)
        goto(admin, edit_url(live_server, topic_id))
        a11y.check(admin)
        type_into(admin, f"#review-form-{topic_id} textarea", "Tambahkan ringkasan.")
        tab_to(admin, f"#review-form-{topic_id} button[value=return]")
        activate(admin)
        expect(admin.locator(FLASH)).to_contain_text("Dikembalikan")
        due = clock.now() + dt.timedelta(days=3)
        type_into(
            admin,
            f"#schedule-form-{topic_id} input[name=publish_at]",
            due.strftime("%Y-%m-%d %H:%M"),
        )
        tab_to(admin, f"#schedule-form-{topic_id} button[value=save]")
        activate(admin)
        expect(admin.locator(FLASH)).to_contain_text("Jadwal disimpan")
        expect(admin.locator("#schedule-title + ul")).to_contain_text(
            due.strftime("%Y-%m-%d %H:%M")
        )
        a11y.check(admin)
        goto(admin, live_server + "/admin/")
        expect(admin.locator("#scheduled-title").locator("..")).to_contain_text("Jadwal Peramban")
        a11y.check(admin)
        # A time in the past is a form error next to the field.
        goto(admin, edit_url(live_server, topic_id))
        past = clock.now() - dt.timedelta(days=1)
        type_into(
            admin,
            f"#schedule-form-{topic_id} input[name=unpublish_at]",
            past.strftime("%Y-%m-%d %H:%M"),
        )
        tab_to(admin, f"#schedule-form-{topic_id} button[value=save]")
        activate(admin, status=400)
        forget_http_error(admin, 400)
        expect(admin.locator("#unpublish_at-errors")).to_contain_text("sudah lewat")
        a11y.check(admin)

        # The editor finds the comment on their dashboard.
        goto(editor, live_server + "/admin/")
        expect(editor.locator("#returned-title").locator("..")).to_contain_text(
            "Tambahkan ringkasan."
        )
        a11y.check(editor)
        admin.problems.assert_none()
        editor.problems.assert_none()
        a11y.assert_none()
    finally:
        with Session(bind=dbengine) as s:
            editing.purge_item(s, s.get(Item, topic_id))
            s.commit()


def test_edit_this_page_link_for_editors_only(new_page, page, editor_state, live_server):
    goto(page, live_server + "/topics/django")
    expect(page.locator(".edit-this-page")).to_have_count(0)
    editor = new_page(storage_state=editor_state)
    goto(editor, live_server + "/topics/django")
    tab_to(editor, ".edit-this-page a")
    activate(editor)
    expect(editor.locator("#item-form")).to_be_visible()
    editor.problems.assert_none()
