"""Images in the editors' area: upload, list, where each is used, trash and restore; and
the route that serves the files (nginx serves the same directory in production)."""

import os

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import FileResponse
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import func, select

from ... import security
from ...i18n import _
from ...models import Image, ImageUse
from ...services import images
from ...tool_forms import ImageUploadForm
from .. import Paginator
from . import admin_view_config, page_of_rows

IMAGES_PER_PAGE = 30
# A file's name is the hash of its bytes: it can be cached for ever.
IMAGE_CACHE_CONTROL = "public, max-age=31536000, immutable"


def _directory(request):
    return images.image_dir(request.registry.settings)


def _listing(request, form, status=200):
    dbsession = request.dbsession
    total = dbsession.scalar(
        select(func.count()).select_from(Image).where(Image.deleted_at.is_(None))
    )
    pager = Paginator(request, total, IMAGES_PER_PAGE)
    ids = (
        select(Image.id)
        .where(Image.deleted_at.is_(None))
        .order_by(Image.created_at.desc(), Image.id.desc())
    )
    rows = page_of_rows(dbsession, Image, ids, pager.offset, pager.per_page)
    counts = dict(
        dbsession.execute(
            select(ImageUse.image_id, func.count())
            .where(ImageUse.image_id.in_([image.id for image in rows]))
            .group_by(ImageUse.image_id)
        ).all()
    )
    request.response.status_int = status
    return {
        "admin_section": "images",
        "form": form,
        "images": rows,
        "counts": counts,
        "pager": pager,
        "limits": {
            "megabytes": images.MAX_BYTES // 1_000_000,
            "side": images.MAX_SIDE,
            "megapixels": images.MAX_PIXELS // 1_000_000,
        },
    }


@admin_view_config(
    route_name="admin.images",
    request_method=("GET", "HEAD", "POST"),
    renderer="pybackend:templates/admin/images/list.jinja2",
)
def image_list(request):
    if request.method != "POST":
        return _listing(request, ImageUploadForm())
    form = ImageUploadForm(request.POST)
    upload = request.POST.get("file")
    if not form.validate():
        return _listing(request, form, 400)
    if not hasattr(upload, "file"):
        form.file.errors = [_("Pilih berkas gambar.")]
        return _listing(request, form, 400)
    data = upload.file.read(images.MAX_BYTES + 1)
    try:
        image, created = images.store(
            request.dbsession,
            _directory(request),
            data,
            form.title.data,
            request.identity,
            client_addr=request.client_addr or "",
        )
    except images.ImageRejected as error:
        form.file.errors = [error.args[0]]
        return _listing(request, form, 400)
    if created:
        security.flash(request, _("Gambar diunggah."))
    else:
        security.flash(request, _("Gambar yang sama sudah ada; inilah gambar itu."))
    return HTTPSeeOther(location=request.route_path("admin.image", id=image.id))


def _image(request):
    image = request.dbsession.get(Image, int(request.matchdict["id"]))
    if image is None:
        raise HTTPNotFound()
    return image


@admin_view_config(
    route_name="admin.image", renderer="pybackend:templates/admin/images/detail.jinja2"
)
def image_detail(request):
    image = _image(request)
    return {
        "admin_section": "images",
        "image": image,
        "uses": images.uses(request.dbsession, image),
        "snippet": f"![{image.title}](image:{image.name})",
    }


@admin_view_config(route_name="admin.image.delete", request_method=("POST",))
def image_delete(request):
    image = _image(request)
    if image.deleted_at is None:
        images.trash(request.dbsession, image, request.identity, request.client_addr or "")
        security.flash(
            request,
            _("Gambar dipindahkan ke tempat sampah; halaman yang memakainya tidak menampilkannya."),
        )
    return HTTPSeeOther(location=request.route_path("admin.image", id=image.id))


@admin_view_config(route_name="admin.image.restore", request_method=("POST",))
def image_restore(request):
    image = _image(request)
    if image.deleted_at is not None:
        images.restore(request.dbsession, image, request.identity, request.client_addr or "")
        security.flash(request, _("Gambar dipulihkan."))
    return HTTPSeeOther(location=request.route_path("admin.image", id=image.id))


@view_config(route_name="image", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD"))
def serve_image(request):
    """The file, for a live image only; cached for a year (its name is its content)."""
    name = request.matchdict["name"]
    image = images.live_by_name(request.dbsession, [name]).get(name)
    path = os.path.join(_directory(request), name)
    if image is None or not os.path.isfile(path):
        raise HTTPNotFound()
    response = FileResponse(path, request=request, content_type=image.media_type)
    response.headers["Cache-Control"] = IMAGE_CACHE_CONTROL
    return response
