# ruff: noqa: F811 - the fixtures of test_admin.py are imported by name, then requested
"""The editors' tools in a real Chromium: the image upload form, bulk actions, preview
links and two-factor enrolment, with the keyboard alone and 0 axe-core violations."""

import pytest
from PIL import Image as PILImage
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pybackend.models import Image, Item, TwoFactor
from tests.browser.keyboard import activate, tab_cycle, tab_to, type_into
from tests.browser.test_admin import (  # noqa: F401 - fixtures
    ADMIN,
    a11y,
    admin,
    admin_state,
    goto,
    path_of,
    topics,
    users,
)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


def png_file(tmp_path, color):
    path = tmp_path / "kotak.png"
    PILImage.new("RGB", (64, 48), color).save(path, "PNG")
    return path


@pytest.fixture
def no_images(dbengine):
    yield
    with Session(bind=dbengine) as s:
        s.execute(delete(Image).where(Image.title.startswith("Kotak peramban")))
        s.commit()


def test_keyboard_image_upload(admin, live_server, dbengine, tmp_path, a11y, no_images):
    page = admin
    goto(page, live_server + "/admin/images")
    a11y.check(page)
    tab_cycle(page)
    type_into(page, "#title", "Kotak peramban hijau")
    tab_to(page, "#file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")  # a keyboard user opens the file dialog so
    chooser.value.set_files(str(png_file(tmp_path, (20, 160, 60))))
    tab_to(page, "#upload-form button[type=submit]")
    activate(page)
    assert path_of(page.url).startswith("/admin/images/")
    img = page.locator("figure.image-detail img")
    assert img.evaluate("(el) => el.complete && el.naturalWidth") == 64
    snippet = page.locator("#snippet").input_value()
    assert snippet.startswith("![Kotak peramban hijau](image:")
    a11y.check(page)
    tab_cycle(page)
    page.problems.assert_none()  # no CSP report: img-src 'self' serves the upload
    a11y.assert_none()


def test_image_upload_refuses_a_non_image(admin, live_server, tmp_path, a11y):
    page = admin
    goto(page, live_server + "/admin/images")
    bogus = tmp_path / "bukan.png"
    bogus.write_bytes(b"this is text, not a PNG")
    page.fill("#title", "Kotak peramban palsu")
    page.set_input_files("#file", str(bogus))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert "bukan gambar" in page.locator(".field-errors").inner_text()
    assert page.locator("#title").input_value() == "Kotak peramban palsu"  # kept
    a11y.check(page)
    a11y.assert_none()


def test_keyboard_bulk_publish_with_confirmation(admin, live_server, dbengine, topics, a11y):
    page = admin
    _id, slug = topics(title="Topik Massal Peramban")
    with Session(bind=dbengine) as s:
        s.scalars(select(Item).where(Item.slug == slug)).one().status = "draft"
        s.commit()
    goto(page, live_server + f"/admin/topics?q={slug}")
    tab_to(page, "td.select input[type=checkbox]")
    page.keyboard.press("Space")
    tab_to(page, "#bulk-form button[type=submit]")
    activate(page)
    assert slug in page.locator("main table").inner_text()
    a11y.check(page)
    tab_cycle(page)
    tab_to(page, "main form button.primary")
    activate(page)
    with Session(bind=dbengine) as s:
        assert s.scalars(select(Item.status).where(Item.slug == slug)).one() == "published"
    a11y.assert_none()


def test_preview_link_and_its_page(admin, live_server, topics, new_page, a11y):
    page = admin
    topic_id, _slug = topics(title="Topik Pratinjau Peramban", body="Isi **pratinjau**.")
    goto(page, live_server + f"/admin/topics/{topic_id}")
    tab_to(page, "#preview-days")
    tab_to(page, "#previews form.inline-form button")
    activate(page)
    url = page.locator("#preview-url").input_value()
    a11y.check(page)
    tab_cycle(page)
    anonymous = new_page()
    response = anonymous.goto(url)
    assert response.status == 200
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert "Topik Pratinjau Peramban" in anonymous.locator("h1").inner_text()
    a11y.check(anonymous)
    a11y.assert_none()


def test_two_factor_page(admin, live_server, dbengine, a11y):
    page = admin
    goto(page, live_server + "/admin/two-factor")
    a11y.check(page)
    tab_to(page, "main button[value=start]")
    activate(page)
    assert page.locator("figure.qr svg").count() == 1
    a11y.check(page)
    tab_cycle(page)
    tab_to(page, "main button[value=cancel]")
    activate(page)
    with Session(bind=dbengine) as s:
        s.execute(delete(TwoFactor))
        s.commit()
    page.problems.assert_none()
    a11y.assert_none()
