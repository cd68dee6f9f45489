"""What the editors' dashboard shows."""

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from ..models import Item, ItemText, Revision


def summary(dbsession, limit=10):
    recent = list(
        dbsession.scalars(
            select(Revision)
            .order_by(Revision.created_at.desc(), Revision.id.desc())
            .limit(limit)
            .options(
                selectinload(Revision.item).selectinload(Item.texts), selectinload(Revision.user)
            )
        )
    )
    drafts = list(
        dbsession.scalars(
            select(Item)
            .where(Item.status == "draft", Item.deleted_at.is_(None))
            .order_by(Item.updated_at.desc())
            .limit(limit)
            .options(selectinload(Item.texts))
        )
    )
    source = aliased(ItemText)
    english = aliased(ItemText)
    live = (Item.deleted_at.is_(None),)
    stale = list(
        dbsession.scalars(
            select(Item)
            .join(source, (source.item_id == Item.id) & (source.lang == "id"))
            .join(english, (english.item_id == Item.id) & (english.lang == "en"))
            .where(*live, english.source_version < source.version)
            .order_by(Item.type, Item.slug)
            .limit(50)
            .options(selectinload(Item.texts))
        )
    )
    has_english = select(english.id).where(
        english.item_id == Item.id, english.lang == "en", english.title != ""
    )
    missing = list(
        dbsession.scalars(
            select(Item)
            .where(*live, ~has_english.exists())
            .order_by(Item.type, Item.slug)
            .limit(50)
            .options(selectinload(Item.texts))
        )
    )
    trash_count = dbsession.scalar(
        select(func.count()).select_from(Item).where(Item.deleted_at.is_not(None))
    )
    return {
        "recent": recent,
        "drafts": drafts,
        "stale": stale,
        "missing": missing,
        "trash_count": trash_count,
    }
