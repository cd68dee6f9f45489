"""The trash: deleted items, restorable with their links (DATA-3). Purging is done only
from the command line (``pybackend-content INI purge``)."""

from pyramid.httpexceptions import HTTPSeeOther
from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from ... import security
from ...i18n import _
from ...models import Image, Item, ItemText, Revision
from ...services import editing
from .. import Paginator
from . import admin_view_config, page_of_rows

ITEMS_PER_PAGE = 50


def trashed(dbsession, offset=0, limit=ITEMS_PER_PAGE):
    """[(item, revision)]: deleted items, newest first, each with the revision that deleted it.

    The page of items first (an index on deleted_at), then the revisions of those items
    only: never a pass over every revision.
    """
    ids = (
        select(Item.id)
        .where(Item.deleted_at.is_not(None))
        .order_by(Item.deleted_at.desc(), Item.id.desc())
    )
    titles = selectinload(Item.texts).load_only(ItemText.lang, ItemText.title)
    items = page_of_rows(dbsession, Item, ids, offset, limit, (titles,))
    last_delete = (
        select(Revision.item_id, func.max(Revision.number).label("number"))
        .where(Revision.item_id.in_([item.id for item in items]), Revision.action == "delete")
        .group_by(Revision.item_id)
        .subquery()
    )
    revisions = {
        revision.item_id: revision
        for revision in dbsession.scalars(
            select(Revision)
            .join(
                last_delete,
                (last_delete.c.item_id == Revision.item_id)
                & (last_delete.c.number == Revision.number),
            )
            .options(defer(Revision.data), selectinload(Revision.user))
        )
    }
    return [(item, revisions.get(item.id)) for item in items]


@admin_view_config(route_name="admin.trash", renderer="pybackend:templates/admin/trash.jinja2")
def trash(request):
    total = request.dbsession.scalar(
        select(func.count()).select_from(Item).where(Item.deleted_at.is_not(None))
    )
    pager = Paginator(request, total, ITEMS_PER_PAGE)
    return {
        "admin_section": "trash",
        "rows": trashed(request.dbsession, pager.offset, pager.per_page),
        "pager": pager,
        # The newest trashed images (the partial index on deleted_at); each restorable.
        "images": request.dbsession.scalars(
            select(Image)
            .where(Image.deleted_at.is_not(None))
            .order_by(Image.deleted_at.desc(), Image.id.desc())
            .limit(ITEMS_PER_PAGE)
        ).all(),
    }


@admin_view_config(route_name="admin.trash.restore", request_method=("POST",))
def restore(request):
    item = request.context.obj
    text = item.text("id")
    title = text.title if text else item.slug
    if item.deleted_at is None:
        security.flash(request, _("${title} tidak ada di tempat sampah.", mapping={"title": title}))
    else:
        editing.restore_item(request.dbsession, item, request.identity)
        security.flash(request, _("Dipulihkan: ${title}.", mapping={"title": title}))
    return HTTPSeeOther(location=request.route_path("admin.trash"))
