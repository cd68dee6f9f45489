"""Autosave of the edit form (static/js/autosave.js) and the offer to recover it.

``POST /admin/autosave`` takes the form as JSON, with the CSRF token in X-CSRF-Token,
and stores it as the editor's private autosave; the item is only read. The edit form
then offers it back (``recovery``), restored with ``?restore=autosave``, or dropped
through ``POST /admin/autosave/discard``.
"""

import json

from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPNotFound,
    HTTPRequestEntityTooLarge,
    HTTPSeeOther,
    HTTPUnsupportedMediaType,
)
from pyramid.view import view_config

from ... import security
from ...i18n import _
from ...models import Item
from ...services import autosave
from . import admin_view_config

# Two bodies of 100 000 characters, in JSON (non-ASCII escaped as \uXXXX is 6 bytes a
# character; UTF-8 at most 4), with the other fields: 1.5 MiB, under waitress's 2 MiB cap.
MAX_BODY_BYTES = 1536 * 1024
ITEM_TYPES = ("topic", "example")


def _json_error(request, status, message):
    request.response.status_int = status
    request.response.cache_control = "no-store"
    return {"error": request.localizer.translate(message)}


def _load_item(dbsession, item_type, item_id):
    if item_id is None:
        return None
    if not isinstance(item_id, int) or isinstance(item_id, bool) or not 0 < item_id < 2**62:
        raise HTTPBadRequest(_("Permintaan simpan otomatis tidak valid."))
    item = dbsession.get(Item, item_id)
    if item is None or item.type != item_type:
        raise HTTPNotFound()
    return item


@admin_view_config(route_name="admin.autosave", renderer="json", request_method="POST")
def autosave_view(request):
    """Store the editor's form. Never a revision, never a change to the item or any page."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise HTTPRequestEntityTooLarge(_("Formulir terlalu besar untuk disimpan otomatis."))
    if request.content_type != "application/json":
        raise HTTPUnsupportedMediaType(_("Simpan otomatis mengirim JSON."))
    raw = request.body_file_seekable.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPRequestEntityTooLarge(_("Formulir terlalu besar untuk disimpan otomatis."))
    try:
        payload = json.loads(raw.decode("utf-8"))
        item_type = payload["item_type"]
        item_id = payload.get("item_id")
        version = payload.get("version") or ""
        data = autosave.clean(payload["fields"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return _json_error(request, 400, _("Permintaan simpan otomatis tidak valid."))
    if item_type not in ITEM_TYPES or not isinstance(version, str) or len(version) > 18:
        return _json_error(request, 400, _("Permintaan simpan otomatis tidak valid."))
    if version and not version.isdigit():
        return _json_error(request, 400, _("Permintaan simpan otomatis tidak valid."))
    item = _load_item(request.dbsession, item_type, item_id)
    if item is not None and item.deleted_at is not None:
        return _json_error(request, 409, _("Halaman ini ada di tempat sampah."))
    base = int(version) if version else None
    saved_at = autosave.store(request.dbsession, request.identity, item_type, item, base, data)
    request.response.cache_control = "no-store"
    return {
        "saved_at": saved_at.strftime("%H:%M:%S"),
        # Someone (or this editor elsewhere) saved after this form was loaded: saving it
        # will show the merge screen. Nothing of theirs is touched.
        "newer": item is not None and base != item.version,
    }


@view_config(route_name="admin.autosave.discard", permission=security.EDIT, request_method="POST")
def discard_view(request):
    item_type = request.POST.get("item_type", "")
    raw_id = request.POST.get("item_id", "")
    if item_type not in ITEM_TYPES or (raw_id and not (raw_id.isdigit() and len(raw_id) < 18)):
        raise HTTPBadRequest(_("Permintaan tidak valid."))
    item = _load_item(request.dbsession, item_type, int(raw_id)) if raw_id else None
    autosave.discard(request.dbsession, request.identity, item_type, item)
    security.flash(request, _("Teks yang belum disimpan sudah dibuang."))
    plural = item_type + "s"
    if item is None:
        location = request.route_path("admin.item.new", item_type=plural)
    else:
        location = request.route_path("admin.item.edit", item_type=plural, id=item.id)
    return HTTPSeeOther(location=location)


def recovery(request, form, item_type, item, saved):
    """What the edit page offers back: the autosave and its differences, or None.

    With ``?restore=autosave`` the form is filled from it instead (and the version it
    started from kept, so a save meets the version check); returns (offer, form).
    """
    row = autosave.find(request.dbsession, request.identity, item_type, item)
    if row is None:
        return None, form
    if request.GET.get("restore") == "autosave":
        from .items import build_form

        form = build_form(request, item_type, item=item, formdata=autosave.formdata(row))
        form.version.data = str(row.base_version) if row.base_version is not None else ""
        return {"restored": True, "row": row}, form
    labels = {field.name: field.label.text for field in form if hasattr(field, "label")}
    labels["links"] = _("Tautan")
    changes = autosave.differences(row, saved, labels)
    if not changes:
        return None, form
    newer = item is not None and row.base_version != item.version
    return {"restored": False, "row": row, "changes": changes, "newer": newer}, form
