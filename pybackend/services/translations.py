"""The state of an item's English text, kept on the item row (``items.translation``).

The dashboard lists the pages whose English text is missing or was made from an older
Indonesian text. Worked out from the texts, that is a join over every text (0.5 s at
100 000 topics); kept on the item and indexed, it is a lookup. Every change goes through
services/editing.log_change, which calls ``refresh``; the seed and the data generator
write it themselves. The rule is content.is_stale's.
"""

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from ..models import Item
from ..models.item import SOURCE_LANGUAGE


def state_of(item):
    english = item.texts.get("en")
    if english is None or not english.title:
        return "missing"
    source = item.texts.get(SOURCE_LANGUAGE)
    if (
        source is not None
        and english.source_version is not None
        and english.source_version < source.version
    ):
        return "stale"
    return "current"


def refresh(dbsession, item):
    """Store the state of ``item``'s texts as they are after the pending changes.

    A plain UPDATE of that one column: through the ORM it would move the item's version,
    which the edit forms carry. ``updated_at`` is kept as it is (the column's onupdate
    would move it): the state of a translation is not a change of the item.
    """
    dbsession.flush()  # the text versions are only final once flushed
    state = state_of(item)
    if item.translation != state:
        dbsession.execute(
            update(Item.__table__)
            .where(Item.__table__.c.id == item.id)
            .values(translation=state, updated_at=Item.__table__.c.updated_at)
        )
        set_committed_value(item, "translation", state)
    return state
