"""Rendered pages and the surrogate keys that invalidate them (services/pages.py)."""

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base


class RenderedPage(Base):
    """The anonymous response body of a public item page, zlib-compressed.

    Written in the transaction that changes what the page shows, so every process and
    every restart serves it with one indexed read.
    """

    __tablename__ = "rendered_pages"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(100))
    # blake2b of the uncompressed body: it changes exactly when the bytes do.
    etag: Mapped[str] = mapped_column(String(40))
    # When the bytes last changed (a re-render to the same bytes keeps it).
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The surrogate keys of the page, space-separated, as sent in Surrogate-Key.
    tags: Mapped[str] = mapped_column(Text)
    # The templates and catalogs it was rendered with; another build ignores the row.
    build: Mapped[str] = mapped_column(String(40))


class CacheTag(Base):
    """A surrogate key's last change: the generation that changed it, and when."""

    __tablename__ = "cache_tags"

    tag: Mapped[str] = mapped_column(String(120), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
