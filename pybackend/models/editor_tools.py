"""Preview links, images and the second login factor.

None of these tables is content that readers see through the page store: writing one
invalidates no page by itself (services/pages.py watches items, texts, links and
references). An image that a page shows is followed through ``image_uses``.
"""

import datetime as dt

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .audit import Revision
from .item import Item, utcnow
from .meta import Base
from .user import User


class PreviewLink(Base):
    """A link to one revision of an item that anyone holding it may open until it expires.

    The URL carries a random token; this row keeps only its SHA-256, so a copy of the
    database opens nothing.
    """

    __tablename__ = "preview_links"
    __table_args__ = (Index("ix_preview_links_item_id_created_at", "item_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    item: Mapped[Item] = relationship()
    revision: Mapped[Revision] = relationship()
    creator: Mapped[User | None] = relationship()


class Image(Base):
    """An uploaded image, re-encoded; its file is named by the hash of what we stored."""

    __tablename__ = "images"
    __table_args__ = (
        Index("ix_images_live_created_at", "created_at", "id",
              postgresql_where=text("deleted_at IS NULL"),
              sqlite_where=text("deleted_at IS NULL")),
        Index("ix_images_deleted_at", "deleted_at", "id",
              postgresql_where=text("deleted_at IS NOT NULL"),
              sqlite_where=text("deleted_at IS NOT NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # <sha256 of the stored bytes>.<png|jpg|webp|gif>
    name: Mapped[str] = mapped_column(String(80), unique=True)
    media_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    uploader: Mapped[User | None] = relationship()


class ImageUse(Base):
    """Item ``item_id``'s body (either language) shows image ``image_id``."""

    __tablename__ = "image_uses"

    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TwoFactor(Base):
    """A user's TOTP secret; ``enabled_at`` is set once a first code proved the enrolment."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    enabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The last 30-second step a code was accepted for: a code works once (RFC 6238 §5.2).
    last_step: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A one-time code for a lost authenticator; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
