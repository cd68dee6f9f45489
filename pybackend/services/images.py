"""Uploaded images: verified and re-encoded by Pillow, stored under a content hash.

An upload is refused unless Pillow recognises it as JPEG, PNG or WebP, its header's
dimensions are within MAX_SIDE and MAX_PIXELS *before* any pixel is decoded (the
decompression-bomb defence: a 100 KB PNG can claim 50 000 × 50 000 pixels, 10 GB once
decoded), and it decodes whole. What is stored is a new encoding of the pixels alone,
rotated upright by its EXIF orientation: no EXIF (camera, GPS position), XMP, ICC or
text chunks survive. The file's name is the SHA-256 of the stored bytes, so a URL never
changes meaning and can be cached for a year.
"""

import hashlib
import io
import os
import re
import tempfile
import warnings

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select

from ..i18n import _
from ..models import Image, ImageUse, Item, ItemText
from . import audit, clock, markdown, pages

# Request bodies are capped at 2 MiB by waitress and nginx (README, Deployment): an image
# must fit with the rest of the form, and a web page needs no larger one.
MAX_BYTES = 2_000_000
# 24 megapixels (a 6000 × 4000 camera photo) decode to ~96 MB of RGBA: bounded memory for
# one upload on a 2-core, few-GB server; and no side longer than 8 000 px.
MAX_PIXELS = 24_000_000
MAX_SIDE = 8000
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
NAME_PATTERN = r"[0-9a-f]{64}\.(?:jpg|png|webp)"
_NAME_RE = re.compile(f"^{NAME_PATTERN}$")
# Pillow's own guard, at our limit: anything it would decode beyond it is an error.
PILImage.MAX_IMAGE_PIXELS = MAX_PIXELS


TOO_LARGE = _("Gambar terlalu besar: paling banyak 8000 piksel tiap sisi dan 24 megapiksel.")


class ImageRejected(ValueError):
    """A user-facing reason why an upload was refused."""


def image_dir(settings):
    return settings.get("pybackend.image_dir") or os.path.join(os.getcwd(), "var", "images")


def valid_name(name):
    return bool(_NAME_RE.match(name or ""))


def reencode(data):
    """(bytes, format, width, height) of a clean re-encoding of ``data``; ImageRejected if bad."""
    if len(data) > MAX_BYTES:
        raise ImageRejected(_("Berkas lebih dari 2 MB."))
    if not data:
        raise ImageRejected(_("Berkas kosong."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(data)) as probe:
                kind = probe.format
                width, height = probe.size
                if kind not in FORMATS:
                    raise ImageRejected(_("Hanya JPEG, PNG atau WebP yang diterima."))
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    raise ImageRejected(TOO_LARGE)
                probe.verify()
            with PILImage.open(io.BytesIO(data)) as source:
                source.load()
                picture = ImageOps.exif_transpose(source)
        except ImageRejected:
            raise
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
            raise ImageRejected(TOO_LARGE) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ImageRejected(_("Berkas ini bukan gambar yang utuh.")) from None
    out = io.BytesIO()
    if kind == "JPEG":
        if picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        picture.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif kind == "PNG":
        if picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            picture = picture.convert("RGBA")
        picture.save(out, "PNG", optimize=True)
    else:
        picture.save(out, "WEBP", quality=85)
    return out.getvalue(), kind, picture.width, picture.height


def _write(directory, name, data):
    """The file ``name`` in ``directory``, written whole (temporary file, fsync, rename)."""
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, name)
    if os.path.exists(target):
        return
    fd, temporary = tempfile.mkstemp(prefix=".upload.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def store(dbsession, directory, data, title, user, client_addr=""):
    """(image, created): the image row for these bytes, re-encoded; the file written first.

    The same picture uploaded twice is one image. A file whose transaction then rolls
    back stays on disk, unnamed by any row: harmless, and never half-written.
    """
    clean, kind, width, height = reencode(data)
    media_type, ext = FORMATS[kind]
    name = f"{hashlib.sha256(clean).hexdigest()}.{ext}"
    existing = dbsession.scalars(select(Image).where(Image.name == name)).first()
    if existing is not None:
        return existing, False
    _write(directory, name, clean)
    image = Image(
        name=name,
        media_type=media_type,
        width=width,
        height=height,
        size=len(clean),
        title=title[:200],
        uploaded_by=user.id if user is not None else None,
        created_at=clock.now(),
    )
    dbsession.add(image)
    dbsession.flush()
    audit.record(dbsession, "image.upload", user=user, obj=image, client_addr=client_addr,
                 name=name, width=width, height=height)  # fmt: skip
    return image, True


def _note_users(dbsession, image):
    """Re-render every page that shows ``image`` (it appears or disappears there)."""
    pages.note_pages(
        dbsession, dbsession.scalars(select(ImageUse.item_id).where(ImageUse.image_id == image.id))
    )
    pages.touch(dbsession, f"img:{image.name}")


def trash(dbsession, image, user, client_addr=""):
    image.deleted_at = clock.now()
    _note_users(dbsession, image)
    audit.record(dbsession, "image.delete", user=user, obj=image, client_addr=client_addr,
                 name=image.name)  # fmt: skip
    dbsession.flush()


def restore(dbsession, image, user, client_addr=""):
    image.deleted_at = None
    _note_users(dbsession, image)
    audit.record(dbsession, "image.restore", user=user, obj=image, client_addr=client_addr,
                 name=image.name)  # fmt: skip
    dbsession.flush()


def live_by_name(dbsession, names):
    """{name: image} of the live images with these names."""
    names = sorted({name for name in names if valid_name(name)})
    if not names:
        return {}
    found = dbsession.scalars(
        select(Image).where(Image.name.in_(names), Image.deleted_at.is_(None))
    )
    return {image.name: image for image in found}


def update_uses(dbsession, item):
    """Rebuild which images ``item``'s bodies show (both languages)."""
    names = set()
    for text in item.texts.values():
        names.update(markdown.image_names(text.body))
    # Trashed ones too: restoring an image must re-render the pages that show it.
    wanted = (
        set(dbsession.scalars(select(Image.id).where(Image.name.in_(sorted(names)))))
        if names
        else set()
    )
    current = set(dbsession.scalars(select(ImageUse.image_id).where(ImageUse.item_id == item.id)))
    if current == wanted:
        return
    dbsession.execute(
        delete(ImageUse).where(ImageUse.item_id == item.id, ImageUse.image_id.in_(current - wanted))
    )
    for image_id in sorted(wanted - current):
        dbsession.add(ImageUse(image_id=image_id, item_id=item.id))
    dbsession.flush()


def uses(dbsession, image, limit=50):
    """The items (titles only) whose bodies show ``image``, by slug."""
    from sqlalchemy.orm import selectinload

    return dbsession.scalars(
        select(Item)
        .join(ImageUse, ImageUse.item_id == Item.id)
        .where(ImageUse.image_id == image.id)
        .order_by(Item.type, Item.slug)
        .limit(limit)
        .options(selectinload(Item.texts).load_only(ItemText.lang, ItemText.title))
    ).all()


def body_errors(dbsession, body):
    """Form errors for a Markdown body's images: alt text missing, or no such image."""
    errors = []
    missing_alt, names = markdown.image_problems(body)
    if missing_alt:
        errors.append(_("Setiap gambar perlu teks alternatif: ![uraian gambar](image:…)."))
    unknown = [name for name in names if name not in live_by_name(dbsession, names)]
    if unknown:
        errors.append(
            _(
                "Gambar tidak dikenal atau ada di tempat sampah: ${name}",
                mapping={"name": unknown[0]},
            )
        )
    return errors
