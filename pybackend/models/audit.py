"""The audit log and content revisions: append-only records."""

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .item import Item, utcnow
from .meta import Base
from .user import User


class AuditEntry(Base):
    """Who did what, when: logins, failures, lockouts, account and content changes."""

    __tablename__ = "audit_log"
    # Each filter of the log page walks its own index, newest first.
    __table_args__ = (
        Index("ix_audit_log_action_at", "action", "at", "id"),
        Index("ix_audit_log_username_at", "username", "at", "id"),
        Index("ix_audit_log_object_type_at", "object_type", "at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(20), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    client_addr: Mapped[str] = mapped_column(String(64), default="")


class Revision(Base):
    """An immutable snapshot of an item after a change: both texts, fields and links."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("item_id", "number", name="uq_revisions_item_id_number"),
        # The dashboard's latest changes.
        Index("ix_revisions_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    comment: Mapped[str] = mapped_column(String(200), default="")
    item_version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)

    item: Mapped[Item] = relationship()
    user: Mapped[User | None] = relationship()
