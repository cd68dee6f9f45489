"""Topics and examples: the two kinds of page, kept in one table."""

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.collections import attribute_keyed_dict

from .bytewise import bytewise
from .meta import Base

LANGUAGES = ("id", "en")
SOURCE_LANGUAGE = "id"

# The readers' list indexes (migration 0008): partial, public items only, and covering:
# status and deleted_at are in them too, so SQLite need not read a row to check them.
PUBLIC_CONDITION = "status = 'published' AND deleted_at IS NULL"
PUBLIC_LIST_INDEXES = (
    ("ix_items_public_type_kind_slug", ("type", "kind", "slug", "id", "status", "deleted_at")),
    ("ix_items_public_type_slug", ("type", "slug", "id", "status", "deleted_at")),
)
TOPIC_KINDS = (
    "language", "framework", "library", "messaging", "server", "tool", "concept", "datastore",
)  # fmt: skip
STATUSES = ("draft", "published")
# The English text of an item: none yet, made from an older Indonesian text, or current.
TRANSLATION_STATES = ("missing", "stale", "current")

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MAX = 100
TITLE_MAX = 200
SUMMARY_MAX = 300
BODY_MAX = 100_000
URL_MAX = 500
NOTE_MAX = 200


def utcnow():
    return dt.datetime.now(dt.UTC)


class Item(Base):
    """A page readers can visit: a topic or an example, with a text per language.

    Topics and examples share slugs, texts, links, history and trash, so they share
    one table (single-table inheritance); ``type`` tells them apart.
    """

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("type", "slug", name="uq_items_type_slug"),
        CheckConstraint("type IN ('topic', 'example')", name="type"),
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("translation IN ('missing', 'stale', 'current')", name="translation"),
        # Lists and the home page walk topics by kind, then slug.
        Index("ix_items_type_kind_slug", "type", "kind", "slug"),
        # The editors' lists walk live items by slug, all or of one status; the trash
        # and the dashboard walk them by deletion, change and translation state. Partial
        # (live items only): PostgreSQL orders by slug through an index only when no
        # column before it is tested with IS NULL. The id at the end: a deep page's ids
        # come from the index alone.
        Index(
            "ix_items_live_type_slug",
            "type",
            "slug",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_items_live_type_status_slug",
            "type",
            "status",
            "slug",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # Readers' lists: any page's ids from an index alone (see migration 0008).
        *(
            Index(
                name,
                *columns,
                postgresql_where=text(PUBLIC_CONDITION),
                sqlite_where=text(PUBLIC_CONDITION),
            )
            for name, columns in PUBLIC_LIST_INDEXES
        ),
        # The trash only (see migration 0007).
        Index(
            "ix_items_deleted_at",
            "deleted_at",
            "id",
            postgresql_where=text("deleted_at IS NOT NULL"),
            sqlite_where=text("deleted_at IS NOT NULL"),
        ),
        # Drafts only (see migration 0007): a (status, ...) index misleads SQLite.
        Index(
            "ix_items_drafts_updated_at",
            "updated_at",
            postgresql_where=text("status = 'draft' AND deleted_at IS NULL"),
            sqlite_where=text("status = 'draft' AND deleted_at IS NULL"),
        ),
        Index("ix_items_translation_type_slug", "translation", "type", "slug"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(SLUG_MAX))
    # Topics only: one of TOPIC_KINDS.
    kind: Mapped[str | None] = mapped_column(String(20))
    # A topic's official site, or an example's own address.
    website: Mapped[str] = mapped_column(String(URL_MAX), default="")
    # The package on PyPI, where there is one.
    package: Mapped[str] = mapped_column(String(100), default="")
    # Not indexed: two values, and SQLite without statistics would walk that index
    # instead of the selective one (backlinks scanned every published item).
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # Kept by services/translations.py, so the dashboard's lists are index lookups.
    translation: Mapped[str] = mapped_column(
        String(10), default="missing", server_default="missing"
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    texts: Mapped[dict[str, "ItemText"]] = relationship(
        collection_class=attribute_keyed_dict("lang"),
        back_populates="item",
        cascade="all, delete-orphan",
    )
    old_slugs: Mapped[list["SlugHistory"]] = relationship(
        back_populates="item", cascade="all, delete-orphan"
    )

    __mapper_args__ = {
        "polymorphic_on": "type",
        "version_id_col": version,
    }

    @property
    def is_public(self):
        return self.status == "published" and self.deleted_at is None

    def text(self, lang):
        """The text in ``lang``, or None when there is no translation yet."""
        text = self.texts.get(lang)
        if text is None or not text.title:
            return None
        return text


class Topic(Item):
    __mapper_args__ = {"polymorphic_identity": "topic"}


class Example(Item):
    __mapper_args__ = {"polymorphic_identity": "example"}


class ItemText(Base):
    """An item's title, summary and Markdown body in one language.

    Indonesian is the source. An English text remembers the version of the
    Indonesian text it was translated from, so a later Indonesian edit marks it
    stale.
    """

    __tablename__ = "item_texts"
    __table_args__ = (
        UniqueConstraint("item_id", "lang", name="uq_item_texts_item_id_lang"),
        CheckConstraint("lang IN ('id', 'en')", name="lang"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # For a translation: the version of the source text it was made from.
    source_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    item: Mapped[Item] = relationship(back_populates="texts")

    __mapper_args__ = {"version_id_col": version}


# Slug and lower-case title prefixes, for the link picker and the lists' search
# (services/lookup.py): byte-ordered, so a prefix is a range of the index on both
# backends. Declared once the columns exist: they are expressions.
Index("ix_items_type_slug_bytes", Item.type, bytewise(Item.slug))
Index("ix_item_texts_lang_title_prefix", ItemText.lang, bytewise(func.lower(ItemText.title)))


class SlugHistory(Base):
    """A slug an item had before, so that old addresses answer 301."""

    __tablename__ = "slug_history"
    __table_args__ = (UniqueConstraint("type", "slug", name="uq_slug_history_type_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(SLUG_MAX))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[Item] = relationship(back_populates="old_slugs")
