"""Search: the documents the full-text index is built from, and editors' aliases.

The index itself is backend-specific and lives outside the metadata (see
services/search.py): on SQLite an FTS5 table ``search_fts`` over ``search_documents``,
kept in step by triggers; on PostgreSQL a generated, weighted tsvector column
``search_documents.document`` with a GIN index. ``include_object`` keeps Alembic's
autogenerate from proposing to drop them.
"""

import itertools
import re

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from .item import Item, ItemText
from .meta import Base

ALIAS_MAX = 100

# A document's id says its reader language (revision 0005): the item's id for Indonesian,
# plus EN_ID_OFFSET for English. SQLite's FTS5 then filters a language as a rowid range,
# without reading every match's row (a word in 100 000 Indonesian documents and 200
# English ones cost 0.2 s per English search when it did). Item ids stay below the offset
# (a billion), so both fit PostgreSQL's integer.
EN_ID_OFFSET = 1 << 30
_ID_RANGES = {"id": (0, EN_ID_OFFSET), "en": (EN_ID_OFFSET, 2 * EN_ID_OFFSET)}


def document_id(item_id, lang):
    if not 0 < item_id < EN_ID_OFFSET:
        raise ValueError(f"item id {item_id} is outside the search index's id range")
    return item_id + _ID_RANGES[lang][0]


def document_id_range(lang):
    """[low, high): the ids of the documents searched from ``lang`` pages."""
    return _ID_RANGES[lang]


# Objects the migration creates that SQLAlchemy's metadata cannot describe.
FTS_TABLE = "search_fts"
TSVECTOR_COLUMN = "document"
# Title and summary alone (revision 0005): broad queries look there first.
HEAD_COLUMN = "head"
# Revision 0005: one partial GIN index per tsvector and reader language.
TSVECTOR_INDEXES = frozenset(
    f"ix_search_documents_{column}_{lang}"
    for column in (TSVECTOR_COLUMN, HEAD_COLUMN)
    for lang in ("id", "en")
)
_FTS_TABLE_RE = re.compile(rf"^{FTS_TABLE}(_(data|idx|content|docsize|config))?$")


class SearchDocument(Base):
    """What the index knows of one item in one reader language: plain text, no Markdown.

    Only published, non-deleted items have documents. The English document of an item
    without an English text holds the Indonesian text (``text_lang`` says which), as the
    English pages do. Written by services/search.py only.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("item_id", "lang", name="uq_search_documents_item_id_lang"),
        CheckConstraint("lang IN ('id', 'en')", name="lang"),
        CheckConstraint("text_lang IN ('id', 'en')", name="text_lang"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    # The language of the pages this document is searched from ...
    lang: Mapped[str] = mapped_column(String(5))
    # ... and the language its text is written in (stemming follows this one).
    text_lang: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class SearchAlias(Base):
    """A search word or phrase that also finds another: ``zmq`` → ``zeromq``.

    Both sides are stored normalised (lower case, words of letters and digits); one
    direction per row, so ``pustaka`` ↔ ``library`` is two rows.
    """

    __tablename__ = "search_aliases"
    __table_args__ = (UniqueConstraint("term", name="uq_search_aliases_term"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(ALIAS_MAX))
    expands_to: Mapped[str] = mapped_column(String(ALIAS_MAX))


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic autogenerate filter: ignore the backend-specific index objects."""
    if type_ == "table" and reflected and compare_to is None:
        return not _FTS_TABLE_RE.match(name or "")
    table = getattr(obj, "table", None)
    if table is not None and table.name == SearchDocument.__tablename__ and reflected:
        if type_ == "column" and name in (TSVECTOR_COLUMN, HEAD_COLUMN):
            return False
        if type_ == "index" and name in TSVECTOR_INDEXES:
            return False
    return True


# Index maintenance: items whose Item or ItemText rows change in a flush are re-indexed
# right after it, in the same transaction (publish, unpublish, trash, restore, edits).
_PENDING = "search_pending_items"


@event.listens_for(Session, "before_flush")
def _collect_changed_items(session, flush_context, instances):
    pending = session.info.setdefault(_PENDING, {})
    changed = itertools.chain(
        session.new, session.deleted, (o for o in session.dirty if session.is_modified(o))
    )
    for obj in changed:
        item = obj if isinstance(obj, Item) else None
        if isinstance(obj, ItemText):
            item = obj.item
            if item is None and obj.item_id is not None:
                item = session.get(Item, obj.item_id)
        if item is not None:
            pending[id(item)] = item


@event.listens_for(Session, "after_flush_postexec")
def _index_changed_items(session, flush_context):
    pending = session.info.pop(_PENDING, None)
    if pending:
        from ..services.search import index_changed_items

        index_changed_items(session.connection(), list(pending.values()))


@event.listens_for(Session, "after_rollback")
def _forget_changed_items(session):
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "do_orm_execute")
def _reindex_after_bulk_change(orm_execute_state):
    """``update(Item)`` / ``delete(ItemText)`` statements bypass the flush: rebuild after them."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return None
    mapper = orm_execute_state.bind_mapper
    if mapper is None or not (mapper.isa(Item.__mapper__) or mapper.isa(ItemText.__mapper__)):
        return None
    result = orm_execute_state.invoke_statement()
    from ..services.search import rebuild_index

    rebuild_index(orm_execute_state.session)
    return result
