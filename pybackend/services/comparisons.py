"""Comparison pages, built from the structured facts of topics, and the glossary.

The sets are defined here (code, not content): which topics stand side by side and
which facts are compared. A topic that is missing, unpublished or in the trash is
left out of its comparison; the page says which ones it lacks and comes back by
itself when they appear (it shows ``u:topic:<slug>``).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..i18n import _
from ..models import Item
from ..models.source import FRAMEWORK_FACTS, GENERAL_FACTS, MESSAGING_FACTS
from .seed import glossary

# The seed item that the guide page points to, when it exists (a topic or an example).
GUIDE_SLUG = "memilih"


@dataclass(frozen=True)
class Comparison:
    name: str  # the address: /compare/<name>
    title: str
    summary: str
    slugs: tuple  # topic slugs, in column order
    keys: tuple  # fact keys, in row order


COMPARISONS = (
    Comparison(
        "web-frameworks",
        _("Framework web: Django, Flask, Pyramid dan FastAPI"),
        _(
            "Empat framework web Python berdampingan: sejak kapan ada, lisensinya, dukungan "
            "async, dan apa yang sudah tersedia di dalamnya."
        ),
        ("django", "flask", "pyramid", "fastapi"),
        GENERAL_FACTS + FRAMEWORK_FACTS,
    ),
    Comparison(
        "task-queues",
        _("Antrean tugas: Celery dengan RabbitMQ atau Redis"),
        _(
            "Celery menjalankan tugas di latar belakang; RabbitMQ atau Redis menjadi broker "
            "yang menyampaikan tugas itu. Fakta ketiganya berdampingan."
        ),
        ("celery", "rabbitmq", "redis"),
        GENERAL_FACTS + MESSAGING_FACTS,
    ),
    Comparison(
        "messaging",
        _("Sistem pesan: Apache Kafka dan ZeroMQ"),
        _(
            "Kafka adalah log peristiwa terdistribusi dengan broker; ZeroMQ adalah pustaka "
            "soket pesan tanpa broker. Perbedaannya dalam satu tabel."
        ),
        ("kafka", "zeromq"),
        GENERAL_FACTS + MESSAGING_FACTS,
    ),
)
BY_NAME = {comparison.name: comparison for comparison in COMPARISONS}


def compared_items(dbsession, comparison):
    """The public topics of ``comparison``, in its column order (missing ones left out)."""
    found = {
        item.slug: item
        for item in dbsession.scalars(
            select(Item)
            .where(
                Item.type == "topic",
                Item.slug.in_(comparison.slugs),
                Item.status == "published",
                Item.deleted_at.is_(None),
            )
            .options(selectinload(Item.texts), selectinload(Item.facts))
        )
    }
    return [found[slug] for slug in comparison.slugs if slug in found]


def rows(comparison, items):
    """The fact keys that at least one compared item has, in the comparison's order."""
    return [key for key in comparison.keys if any(key in item.facts for item in items)]


def guide_item(dbsession):
    """The public seed item with slug GUIDE_SLUG (a topic first), or None."""
    return dbsession.scalars(
        select(Item)
        .where(Item.slug == GUIDE_SLUG, Item.status == "published", Item.deleted_at.is_(None))
        .order_by(Item.type.desc())
        .options(selectinload(Item.texts))
    ).first()


def term_anchor(term):
    """The glossary's anchor of a term: ``basis data`` -> ``basis-data``."""
    return "-".join("".join(c if c.isalnum() else " " for c in term.lower()).split()) or "term"


def matching(query, translate):
    """Comparisons and glossary terms whose words contain ``query`` (for the search page)."""
    words = query.lower().split()
    if not words:
        return [], []
    comparisons = [
        c
        for c in COMPARISONS
        if all(w in f"{translate(c.title)} {' '.join(c.slugs)}".lower() for w in words)
    ]
    terms = [t for t in glossary() if all(w in f"{t['id']} {t['en']}".lower() for w in words)]
    return comparisons, terms
