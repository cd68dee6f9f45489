"""Typed links between items, and the references their bodies make."""

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .item import NOTE_MAX, SLUG_MAX, Item
from .meta import Base

# "uses": an example uses a topic. The rest relate topics to topics.
LINK_KINDS = ("uses", "alternative_to", "successor_of", "related_to", "built_on")


class Link(Base):
    """A typed, annotated link, e.g. Instagram *uses* Django, Pyramid *successor_of* Pylons."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind", name="uq_links_source_target_kind"),
        CheckConstraint(
            "kind IN ('uses', 'alternative_to', 'successor_of', 'related_to', 'built_on')",
            name="kind",
        ),
        CheckConstraint("source_id <> target_id", name="not_self"),
        # A page shows the links that end at its item as well as those that start there.
        Index("ix_links_target_id_kind", "target_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    note_id: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    note_en: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    source: Mapped[Item] = relationship(foreign_keys=[source_id])
    target: Mapped[Item] = relationship(foreign_keys=[target_id])

    def note(self, lang):
        return (self.note_en if lang == "en" else "") or self.note_id


class Reference(Base):
    """An internal Markdown link from one item's body to another item.

    Kept by target id, so backlinks survive renames; rebuilt whenever a body is saved.
    """

    __tablename__ = "item_references"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UnresolvedLink(Base):
    """An internal link in a body to an address with no item (yet): ``topic:fastapi``.

    When an item comes to live at that address (created, renamed to it, restored), the
    pages whose bodies link there are rendered again and their references rebuilt, so
    the words become a link and the new item's backlinks list them.
    """

    __tablename__ = "unresolved_links"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(20), primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), primary_key=True)

    __table_args__ = (Index("ix_unresolved_links_type_slug", "type", "slug"),)
