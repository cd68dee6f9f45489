"""An item's history: its revisions, one revision, the difference between two, and
restoring an old one as a new revision (DATA-2)."""

import re

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from ... import security
from ...i18n import _
from ...models import Revision
from ...models.source import FACT_KEYS
from ...services import editing, review
from ...services.diff import word_diff
from ...source_forms import format_sources
from .. import Paginator
from ..errors import error_response
from . import admin_view_config
from . import review as review_views

REVISIONS_PER_PAGE = 50
_NUMBER = re.compile(r"^[0-9]{1,9}$")

# (key, label) of every field a revision keeps, in the order the diff shows them.
FIELDS = (
    ("slug", _("Slug")),
    ("kind", _("Jenis")),
    ("website", _("Situs web")),
    ("package", _("Paket PyPI")),
    ("status", _("Status")),
    ("deleted", _("Di tempat sampah")),
    ("id.title", _("Judul")),
    ("id.summary", _("Ringkasan")),
    ("id.body", _("Isi (Markdown)")),
    ("en.title", _("Judul (Inggris)")),
    ("en.summary", _("Ringkasan (Inggris)")),
    ("en.body", _("Isi (Inggris, Markdown)")),
    ("links", _("Tautan")),
    ("sources", _("Sumber")),
    ("facts", _("Fakta")),
)


def _plural(item):
    return item.type + "s"


def revision_of(dbsession, item, number):
    """Revision ``number`` of ``item``, or 404."""
    revision = dbsession.scalars(
        select(Revision)
        .where(Revision.item_id == item.id, Revision.number == number)
        .options(selectinload(Revision.user))
    ).first()
    if revision is None:
        raise HTTPNotFound(_("Revisi ini tidak ada."))
    return revision


def latest_number(dbsession, item):
    return dbsession.scalar(select(func.max(Revision.number)).where(Revision.item_id == item.id))


def link_lines(data):
    """The links of a snapshot as one line each, for reading and comparing."""
    lines = []
    for link in data.get("links", []):
        notes = " / ".join(note for note in (link.get("note_id"), link.get("note_en")) if note)
        line = f"{link.get('kind', '')} → {link.get('target_slug', link.get('target_id'))}"
        lines.append(f"{line} ({notes})" if notes else line)
    return "\n".join(lines)


def field_value(data, key):
    """One field of a snapshot as text; '' when the snapshot lacks it."""
    if key == "links":
        return link_lines(data)
    if key == "sources":
        return format_sources(data.get("sources", []))
    if key == "facts":
        facts = data.get("facts", {})
        return "\n".join(f"{name}: {facts[name]}" for name in FACT_KEYS if name in facts)
    if key == "deleted":
        return _("ya") if data.get("deleted") else _("tidak")
    if "." in key:
        lang, name = key.split(".", 1)
        return (data.get("texts", {}).get(lang) or {}).get(name) or ""
    value = data.get(key)
    return "" if value is None else str(value)


def compare(old, new, translate=str):
    """[{key, label, diff}] for every field that differs between two snapshots."""
    changes = []
    for key, label in FIELDS:
        a, b = field_value(old, key), field_value(new, key)
        if key == "deleted":
            a, b = translate(a), translate(b)
        diff = word_diff(a, b)
        if diff.changed:
            changes.append({"key": key, "label": label, "diff": diff})
    return changes


@admin_view_config(
    route_name="admin.item.history", renderer="pybackend:templates/admin/history.jinja2"
)
def history(request):
    item = request.context.obj
    dbsession = request.dbsession
    # An item's revisions are counted and paged along its (item_id, number) index.
    total = dbsession.scalar(
        select(func.count()).select_from(Revision).where(Revision.item_id == item.id)
    )
    pager = Paginator(request, total, REVISIONS_PER_PAGE)
    # The snapshots can be large: the list needs none of them.
    revisions = list(
        dbsession.scalars(
            select(Revision)
            .where(Revision.item_id == item.id)
            .order_by(Revision.number.desc())
            .offset(pager.offset)
            .limit(pager.per_page)
            .options(defer(Revision.data), selectinload(Revision.user))
        )
    )
    first_page = pager.page == 1 and revisions
    latest = revisions[0].number if first_page else latest_number(dbsession, item)
    return {
        "admin_section": _plural(item),
        "item": item,
        "revisions": revisions,
        "latest": latest,
        "pager": pager,
    }


@admin_view_config(
    route_name="admin.item.revision", renderer="pybackend:templates/admin/revision.jinja2"
)
def revision_view(request):
    item = request.context.obj
    revision = revision_of(request.dbsession, item, int(request.matchdict["number"]))
    data = revision.data
    return {
        "admin_section": _plural(item),
        "item": item,
        "revision": revision,
        "data": data,
        "texts": [(lang, data.get("texts", {}).get(lang)) for lang in ("id", "en")],
        "links": data.get("links", []),
        "latest": latest_number(request.dbsession, item),
    }


def _number_param(request, name):
    values = request.GET.getall(name)
    if len(values) != 1 or not _NUMBER.match(values[0]):
        raise HTTPBadRequest(_("Pilih dua revisi untuk dibandingkan."))
    return int(values[0])


@admin_view_config(route_name="admin.item.diff", renderer="pybackend:templates/admin/diff.jinja2")
def diff_view(request):
    item = request.context.obj
    first = _number_param(request, "from")
    second = _number_param(request, "to")
    old = revision_of(request.dbsession, item, first)
    new = revision_of(request.dbsession, item, second)
    translate = request.localizer.translate
    return {
        "admin_section": _plural(item),
        "item": item,
        "old": old,
        "new": new,
        "changes": compare(old.data, new.data, translate),
        "latest": latest_number(request.dbsession, item),
    }


@admin_view_config(route_name="admin.item.revert", request_method=("POST",))
def revert(request):
    item = request.context.obj
    revision = revision_of(request.dbsession, item, int(request.matchdict["number"]))
    history_url = request.route_path("admin.item.history", item_type=_plural(item), id=item.id)
    if item.deleted_at is not None:
        security.flash(
            request, _("Halaman ini ada di tempat sampah; pulihkan dulu untuk menyunting.")
        )
        return HTTPSeeOther(location=request.route_path("admin.trash"))
    versions = request.POST.getall("version")
    if len(versions) != 1 or not _NUMBER.match(versions[0]):
        raise HTTPBadRequest(_("Versi halaman tidak valid."))
    try:
        if review.must_propose(request.dbsession, item, request.identity):
            # The review step holds for old revisions too: this one waits for approval.
            draft = editing.draft_of(request.dbsession, revision.data)
            review_views.propose(request, item, int(versions[0]), draft, f"#{revision.number}")
            return HTTPSeeOther(location=history_url)
        new = editing.revert_to(
            request.dbsession, item, revision, int(versions[0]), request.identity
        )
    except editing.Conflict:
        return error_response(
            request,
            409,
            _(
                "Halaman ini sudah diubah sejak riwayatnya Anda buka. "
                "Buka lagi riwayatnya, lalu coba sekali lagi."
            ),
        )
    security.flash(
        request,
        _(
            "Revisi #${old} dipulihkan sebagai revisi baru #${new}.",
            mapping={"old": revision.number, "new": new.number},
        ),
    )
    return HTTPSeeOther(location=history_url)
