"""Editors' tools beside the content: private autosaves, schedules, reviews, site settings.

None of these tables is content: writing them invalidates no page (services/pages.py
watches items, texts, links and references only). A schedule or review step that does
change an item goes through services/editing.py, which does.
"""

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .item import Item, utcnow
from .meta import Base
from .user import User


class Autosave(Base):
    """One editor's unsaved form for one item (``item_key`` 0: a new item of ``item_type``).

    Not a revision: only its owner ever sees it, and saving the form removes it.
    """

    __tablename__ = "autosaves"
    __table_args__ = (
        UniqueConstraint("user_id", "item_type", "item_key", name="uq_autosaves_owner"),
        Index("ix_autosaves_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_type: Mapped[str] = mapped_column(String(20))
    item_key: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    # The version the editor's form was loaded at: restoring goes through the version check.
    base_version: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Schedule(Base):
    """A publish or unpublish of an item at a time; ``done_at`` once applied or cancelled."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("action IN ('publish', 'unpublish')", name="action"),
        # The earliest pending one: every process asks about once a second.
        Index(
            "ix_schedules_pending_due",
            "due_at",
            "id",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
        Index("ix_schedules_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # applied, cancelled, or skipped (the item was in the trash or already so)
    outcome: Mapped[str] = mapped_column(String(20), default="")

    item: Mapped[Item] = relationship()
    user: Mapped[User | None] = relationship()


class ReviewRequest(Base):
    """An item waiting for an administrator (``pending``) or back with its editor (``returned``)."""

    __tablename__ = "review_requests"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'returned')", name="state"),
        Index("ix_review_requests_state_at", "state", "updated_at", "item_id"),
        Index("ix_review_requests_submitted_by", "submitted_by", "state"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(20))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The number of the item's "propose" revision: changes to a published item that go
    # live only when approved (None: the item as it stands is what waits).
    proposal: Mapped[int | None] = mapped_column(Integer)

    item: Mapped[Item] = relationship()
    submitter: Mapped[User | None] = relationship(foreign_keys=[submitted_by])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])


class SiteSetting(Base):
    """A setting administrators change in the editors' area (e.g. ``review_required``)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
