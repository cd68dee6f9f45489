"""One row that changes whenever any published content may have changed."""

import datetime as dt
import itertools

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Integer, event, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .item import utcnow
from .meta import Base


class ContentState(Base):
    """The content generation: bumped in the same transaction as every content change.

    Every process compares it (at most once a second) with the generation its cached
    pages were rendered from; ETags are derived from it, so a 304 never hides a change.
    """

    __tablename__ = "content_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, nullable=False)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Rows whose change can alter what a reader sees.
def _content_types():
    from .item import Item, ItemText, SlugHistory
    from .link import Link, Reference

    return (Item, ItemText, SlugHistory, Link, Reference)


_after_commit_hooks = []


def on_generation_committed(hook):
    """Call ``hook()`` after a transaction that bumped the generation commits."""
    _after_commit_hooks.append(hook)


def bump_generation(session):
    """Advance the content generation inside the session's transaction (once per transaction)."""
    if session.info.get("generation_bumped"):
        return
    session.info["generation_bumped"] = True
    session.execute(
        update(ContentState)
        .where(ContentState.id == 1)
        .values(generation=ContentState.generation + 1, changed_at=utcnow())
    )


@event.listens_for(Session, "before_flush")
def _bump_on_content_change(session, flush_context, instances):
    types = _content_types()
    changed = itertools.chain(
        session.new, session.deleted, (o for o in session.dirty if session.is_modified(o))
    )
    if any(isinstance(obj, types) for obj in changed):
        bump_generation(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.info.pop("generation_bumped", False):
        for hook in _after_commit_hooks:
            hook()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("generation_bumped", None)
