"""Bulk actions from the topic, example and trash lists: choose, confirm, run.

The list's form posts the chosen rows (or "all matching" its filters); the answer is a
confirmation page naming every item the action will change. Its form carries each item's
id and version, so running it changes exactly what was shown (services/bulk.py).
"""

from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPSeeOther
from sqlalchemy import func, select

from ... import labels, security
from ...forms import CONTROL_CHARACTERS
from ...i18n import _
from ...models import Item
from ...services import bulk, lookup
from . import admin_view_config
from .items import list_filters, live_ids
from .review import MUST_REVIEW, REVIEW_OFF

TEMPLATE = "pybackend:templates/admin/bulk_confirm.jinja2"


def _int(value):
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 18:
        raise HTTPBadRequest(_("Pilihan tidak dikenal."))
    return int(value)


def _chosen_ids(request):
    ids = request.POST.getall("ids")
    if len(ids) > bulk.MAX_ITEMS:
        raise HTTPBadRequest(_("Terlalu banyak baris dipilih."))
    return list(dict.fromkeys(_int(value) for value in ids))


def _capped_count(dbsession, stmt):
    inner = stmt.order_by(None).limit(bulk.COUNT_CAP + 1).subquery()
    return dbsession.scalar(select(func.count()).select_from(inner))


def _matching(request, item_type, filters):
    """(the first MAX_ITEMS ids the list's filters match, how many match, capped count?)."""
    query, params = filters["q"], {k: v for k, v in filters.items() if k != "q" and v}
    dbsession = request.dbsession
    if item_type is None:
        stmt = (
            select(Item.id)
            .where(Item.deleted_at.is_not(None))
            .order_by(Item.deleted_at.desc(), Item.id.desc())
        )
    elif query:
        ids, capped = lookup.search_ids(dbsession, item_type, query, params)
        return ids[: bulk.MAX_ITEMS], len(ids), capped
    else:
        stmt = live_ids(item_type, params)
    total = _capped_count(dbsession, stmt)
    ids = list(dbsession.scalars(stmt.limit(bulk.MAX_ITEMS)))
    return ids, min(total, bulk.COUNT_CAP), total > bulk.COUNT_CAP


def _versions(request):
    """{id: version} from the confirmation form's ``item`` fields ("id:version")."""
    values = request.POST.getall("item")
    if not values or len(values) > bulk.MAX_ITEMS:
        raise HTTPBadRequest(_("Pilihan tidak dikenal."))
    versions = {}
    for value in values:
        item_id, _sep, version = value.partition(":")
        versions[_int(item_id)] = _int(version)
    return versions


def _handle(request, item_type, actions, back):
    action = request.POST.get("action", "")
    if action not in actions:
        raise HTTPBadRequest(_("Tindakan tidak dikenal."))
    allowed = bulk.actions_for(request.dbsession, request.identity)
    if item_type is not None and action not in allowed:
        if action == "publish":
            raise HTTPForbidden(MUST_REVIEW)
        raise HTTPBadRequest(REVIEW_OFF)
    filters = {}
    if item_type is not None:
        query, status, translation = list_filters(request, request.POST)
        filters = {"q": query, "status": status, "translation": translation}
    back_url = request.route_path(
        back,
        _query={k: v for k, v in filters.items() if v},
        **({"item_type": item_type + "s"} if item_type else {}),
    )
    if request.POST.get("confirm") == "1":
        comment = request.POST.get("comment", "").strip()[:200]
        if CONTROL_CHARACTERS.search(comment):
            raise HTTPBadRequest(_("Teks tidak boleh berisi karakter kontrol."))
        done, changed, unchanged = bulk.run(
            request.dbsession,
            action,
            _versions(request),
            request.identity,
            comment=comment,
            client_addr=request.client_addr or "",
            item_type=item_type,
        )
        message = _(
            "${action}: ${done} halaman.",
            mapping={
                "action": request.localizer.translate(labels.BULK_ACTION[action]),
                "done": len(done),
            },
        )
        security.flash(request, message)
        if changed:
            security.flash(
                request,
                _(
                    "${n} halaman diubah orang lain sejak konfirmasi dan tidak disentuh.",
                    mapping={"n": len(changed)},
                ),
            )
        return HTTPSeeOther(location=back_url)
    scope = request.POST.get("scope", "selected")
    if scope == "all":
        ids, total, capped = _matching(request, item_type, filters)
    elif scope == "selected":
        ids = _chosen_ids(request)
        total, capped = len(ids), False
    else:
        raise HTTPBadRequest(_("Pilihan tidak dikenal."))
    if not ids:
        security.flash(request, _("Pilih dulu paling sedikit satu halaman."))
        return HTTPSeeOther(location=back_url)
    items = bulk.load(request.dbsession, ids, item_type)
    waiting = bulk.pending(request.dbsession, items) if action == "submit" else frozenset()
    affected = [item for item in items if bulk.applies(item, action, waiting)]
    return {
        "admin_section": item_type + "s" if item_type else "trash",
        "item_type": item_type,
        "action": action,
        "action_label": labels.BULK_ACTION[action],
        "affected": affected,
        "unaffected": len(items) - len(affected),
        "total": total,
        "capped": capped,
        "remaining": max(0, total - len(items)),
        "max_items": bulk.MAX_ITEMS,
        "filters": filters,
        "back_url": back_url,
        "post_url": request.path,
    }


@admin_view_config(route_name="admin.items.bulk", request_method=("POST",), renderer=TEMPLATE)
def items_bulk(request):
    return _handle(request, request.matchdict["item_type"][:-1], bulk.LIST_ACTIONS, "admin.items")


@admin_view_config(route_name="admin.trash.bulk", request_method=("POST",), renderer=TEMPLATE)
def trash_bulk(request):
    return _handle(request, None, bulk.TRASH_ACTIONS, "admin.trash")
