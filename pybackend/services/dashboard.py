"""What the editors' dashboard shows: a few rows of each list, each read through an index
(LIMIT, never a scan), with a link to the whole list where there is one."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..models import Item, ItemText, Revision


def _titles():
    # Titles only: the bodies (up to 100 000 characters each) are not needed here.
    return selectinload(Item.texts).load_only(ItemText.lang, ItemText.title)


def in_translation_state(dbsession, state, limit, offset=0):
    """Live items whose English text is ``state`` (missing, stale), by type and slug."""
    return list(
        dbsession.scalars(
            select(Item)
            .where(Item.translation == state, Item.deleted_at.is_(None))
            .order_by(Item.type, Item.slug)
            .offset(offset)
            .limit(limit)
            .options(_titles())
        )
    )


def summary(dbsession, limit=10):
    recent = list(
        dbsession.scalars(
            select(Revision)
            .order_by(Revision.created_at.desc(), Revision.id.desc())
            .limit(limit)
            .options(selectinload(Revision.item).options(_titles()), selectinload(Revision.user))
        )
    )
    drafts = list(
        dbsession.scalars(
            select(Item)
            .where(Item.status == "draft", Item.deleted_at.is_(None))
            .order_by(Item.updated_at.desc())
            # SQLite, without statistics, would walk every live item by deleted_at.
            .with_hint(Item, "INDEXED BY ix_items_drafts_updated_at", "sqlite")
            .limit(limit)
            .options(_titles())
        )
    )
    trash_count = dbsession.scalar(
        select(func.count()).select_from(Item).where(Item.deleted_at.is_not(None))
    )
    return {
        "recent": recent,
        "drafts": drafts,
        "stale": in_translation_state(dbsession, "stale", limit),
        "missing": in_translation_state(dbsession, "missing", limit),
        "trash_count": trash_count,
    }
