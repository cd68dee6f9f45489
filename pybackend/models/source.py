"""What an item cites (its sources) and the structured facts a topic carries."""

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.collections import attribute_keyed_dict

from .item import TITLE_MAX, URL_MAX, Item
from .meta import Base

PUBLISHER_MAX = 200
FACT_MAX = 200

# Language-neutral facts, in the order pages show them. Every key is optional.
GENERAL_FACTS = ("first_release", "licence", "maintainer", "latest_version", "latest_version_date")
FRAMEWORK_FACTS = ("async_support", "orm", "admin", "template_engine")
MESSAGING_FACTS = ("broker", "persistence", "protocol")
FACT_KEYS = GENERAL_FACTS + FRAMEWORK_FACTS + MESSAGING_FACTS
# Facts whose value is a date: "2018-12-05", "2018-12" or "2018".
DATE_FACTS = ("first_release", "latest_version_date")
# Facts answered "yes", "no" or "partial", or with a short name (shown as it is).
YES_NO_FACTS = ("async_support", "orm", "admin", "broker", "persistence")
FACT_DATE_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"


class Source(Base):
    """One work an item cites: title, address, publisher and the day it was read."""

    __tablename__ = "item_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    url: Mapped[str] = mapped_column(String(URL_MAX))
    publisher: Mapped[str] = mapped_column(String(PUBLISHER_MAX), default="")
    accessed: Mapped[dt.date] = mapped_column(Date)

    def as_dict(self):
        return {
            "title": self.title,
            "url": self.url,
            "publisher": self.publisher,
            "accessed": self.accessed.isoformat(),
        }


class Fact(Base):
    """One structured fact about a topic, e.g. ``licence = "MIT"``."""

    __tablename__ = "item_facts"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(FACT_MAX))


Item.sources = relationship(
    Source, order_by=(Source.position, Source.id), cascade="all, delete-orphan"
)
Item.facts = relationship(
    Fact, collection_class=attribute_keyed_dict("key"), cascade="all, delete-orphan"
)
