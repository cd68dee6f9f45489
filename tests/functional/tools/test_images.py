"""Images: upload (verified, re-encoded, metadata stripped, limits), serving, Markdown with
alt text and size, where each is used, trash and restore."""

import io
import os
import re

import pytest
from PIL import Image as PILImage
from sqlalchemy import select

from pybackend.models import AuditEntry, Image, ImageUse
from pybackend.services import editing, images
from tests.factories import make_topic
from tests.functional.admin_helpers import csrf, logged_in


def picture(fmt="JPEG", size=(40, 30), color=(200, 30, 30), exif=True):
    out = io.BytesIO()
    img = PILImage.new("RGB", size, color)
    kwargs = {}
    if exif and fmt == "JPEG":
        data = PILImage.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x0112] = 6  # Orientation: rotate 90°
        kwargs["exif"] = data.tobytes()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def upload(testapp, data, title="Kotak merah", filename="a.jpg", status=303):
    page = testapp.get("/admin/images")
    fields = {"csrf_token": csrf(page), "title": title}
    files = [("file", filename, data)] if data is not None else []
    return testapp.post("/admin/images", fields, upload_files=files, status=status)


def test_upload_reencodes_strips_metadata_and_serves(testapp, dbsession, editor, app):
    res = upload(testapp, picture())
    image = dbsession.scalars(select(Image)).one()
    assert re.fullmatch(r"[0-9a-f]{64}\.jpg", image.name)
    assert (image.width, image.height) == (30, 40)  # turned upright by its orientation
    page = res.follow()
    assert f"![Kotak merah](image:{image.name})" in page.text
    served = testapp.get(f"/media/images/{image.name}")
    assert served.headers["Content-Type"] == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]
    stored = PILImage.open(io.BytesIO(served.body))
    assert not stored.getexif() and b"SecretCam" not in served.body
    path = os.path.join(app.registry.settings["pybackend.image_dir"], image.name)
    assert os.path.isfile(path)
    assert dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "image.upload")).one()
    # The same picture again is the same image.
    upload(testapp, picture())
    assert len(dbsession.scalars(select(Image)).all()) == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (b"not an image at all", "bukan gambar"),
        (picture("GIF"), "Hanya JPEG, PNG atau WebP"),
        (picture("PNG", size=(9000, 1)), "terlalu besar"),
        (b"", "Berkas kosong"),
        (picture()[:200], "bukan gambar"),
    ],
)
def test_bad_uploads_are_form_errors(testapp, dbsession, editor, data, message):
    res = upload(testapp, data, status=400)
    assert message in res.html.select_one(".field-errors").text
    assert dbsession.scalars(select(Image)).first() is None


def test_a_decompression_bomb_is_refused_before_decoding(testapp, dbsession, editor):
    # 6 000 × 6 000 of one colour: ~100 KB of PNG that would be 108 MB decoded.
    out = io.BytesIO()
    PILImage.new("L", (6000, 6000)).save(out, "PNG")
    assert len(out.getvalue()) < images.MAX_BYTES
    res = upload(testapp, out.getvalue(), status=400)
    assert "terlalu besar" in res.text


def test_title_and_file_are_required_and_csrf(testapp, dbsession, editor):
    upload(testapp, picture(), title="", status=400)
    upload(testapp, None, status=400)
    testapp.post("/admin/images", {"title": "x"}, upload_files=[("file", "a.jpg", picture())],
                 status=400)  # fmt: skip
    assert dbsession.scalars(select(Image)).first() is None


def test_anonymous_cannot_upload_or_list(testapp):
    testapp.get("/admin/images", status=303)
    testapp.get("/admin/images/1", status=303)


def _edit(testapp, item, body):
    page = testapp.get(f"/admin/topics/{item.id}")
    form = next(f for f in page.forms.values() if "body" in f.fields)
    form["body"] = body
    return form.submit("action", value="save", status="*")


def test_markdown_needs_alt_text_and_gets_the_size(testapp, dbsession, editor):
    upload(testapp, picture())
    image = dbsession.scalars(select(Image)).one()
    topic = make_topic(dbsession, "bergambar")
    editing.ensure_initial_revisions(dbsession)
    res = _edit(testapp, topic, f"Lihat ![](image:{image.name})")
    assert res.status_int == 400
    assert "teks alternatif" in res.text
    assert f"![](image:{image.name})" in res.text  # the editor's text stays in the form
    res = _edit(testapp, topic, f"Lihat ![x](image:{'0' * 64}.png)")
    assert res.status_int == 400 and "Gambar tidak dikenal" in res.text
    res = _edit(testapp, topic, f"Lihat ![Kotak merah](image:{image.name})")
    assert res.status_int == 303
    page = testapp.get("/topics/bergambar")
    img = page.html.select_one(".prose img")
    assert img["src"] == f"/media/images/{image.name}"
    assert (img["alt"], img["width"], img["height"]) == ("Kotak merah", "30", "40")
    assert dbsession.scalars(select(ImageUse)).one().item_id == topic.id
    detail = testapp.get(f"/admin/images/{image.id}")
    assert "bergambar" in detail.text


def test_trash_and_restore_an_image(testapp, dbsession, editor):
    upload(testapp, picture())
    image = dbsession.scalars(select(Image)).one()
    topic = make_topic(dbsession, "bergambar")
    editing.ensure_initial_revisions(dbsession)
    _edit(testapp, topic, f"![Kotak merah](image:{image.name})")
    detail = testapp.get(f"/admin/images/{image.id}")
    testapp.post(f"/admin/images/{image.id}/delete", {"csrf_token": csrf(detail)}, status=303)
    assert image.deleted_at is not None
    testapp.get(f"/media/images/{image.name}", status=404)
    assert testapp.get("/topics/bergambar").html.select_one(".prose img") is None
    trash = testapp.get("/admin/trash")
    assert "Kotak merah" in trash.text
    form = trash.html.find("form", action=f"/admin/images/{image.id}/restore")
    testapp.post(form["action"], {"csrf_token": csrf(trash)}, status=303)
    assert image.deleted_at is None
    assert testapp.get("/topics/bergambar").html.select_one(".prose img") is not None
    actions = {e.action for e in dbsession.scalars(select(AuditEntry))}
    assert {"image.delete", "image.restore"} <= actions


def test_unknown_image_names_are_404(testapp):
    testapp.get("/media/images/" + "a" * 64 + ".png", status=404)
    testapp.get("/media/images/../../etc/passwd", status=404)
