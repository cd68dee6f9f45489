"""One row that changes whenever any published content may have changed."""

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .item import utcnow
from .meta import Base


class ContentState(Base):
    """The content generation: bumped in the same transaction as every content change.

    Its row lock puts every content transaction in commit order, so the generations
    recorded in ``cache_tags`` only grow; processes poll for keys newer than the last
    generation they applied (services/cache.py).
    """

    __tablename__ = "content_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, nullable=False)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
