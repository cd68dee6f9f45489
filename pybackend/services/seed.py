"""The bundled seed content: loaded into an empty database, or added to a running site.

The files are ``pybackend/seed/items/<type>-<slug>.toml`` (one per topic or example)
and ``pybackend/seed/glossary.toml``; services/seed_files.py reads and checks them.
"""

import datetime as dt
import functools
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from ..models import Example, Fact, Item, ItemText, Link, Revision, SlugHistory, Source, Topic
from ..models.item import SOURCE_LANGUAGE
from . import editing
from .content import update_references
from .seed_files import read_glossary, read_items


def read_seed(root=None):
    """The seed as one dict: ``topic`` and ``example`` entries, every ``relation``
    (with its ``source`` slug) and the glossary's ``term`` list."""
    entries = [entry for _, entry in read_items(root)]
    return {
        "topic": [e for e in entries if e["type"] == "topic"],
        "example": [e for e in entries if e["type"] == "example"],
        "relation": [row for e in entries for row in e["relation"]],
        "term": read_glossary(root),
    }


@functools.cache
def glossary():
    """The glossary's terms, read once per process (they change with a release)."""
    return tuple(read_glossary())


def is_empty(dbsession):
    return not dbsession.scalar(select(func.count()).select_from(Item))


MODELS = {"topic": Topic, "example": Example}


def _new_item(dbsession, entry):
    item = MODELS[entry["type"]](
        slug=entry["slug"],
        kind=entry.get("kind"),
        website=entry.get("website", ""),
        package=entry.get("package", ""),
        status="published",
        translation="current",  # the English texts match (below)
    )
    for lang in ("id", "en"):
        text = entry[lang]
        item.texts[lang] = ItemText(
            lang=lang, title=text["title"], summary=text["summary"], body=text["body"]
        )
    for old in entry.get("old_slugs", []):
        item.old_slugs.append(SlugHistory(type=entry["type"], slug=old))
    for position, source in enumerate(entry.get("sources", [])):
        item.sources.append(
            Source(
                position=position,
                title=source["title"],
                url=source["url"],
                publisher=source["publisher"],
                accessed=dt.date.fromisoformat(source["accessed"]),
            )
        )
    for key, value in entry.get("facts", {}).items():
        if value:
            item.facts[key] = Fact(key=key, value=value)
    dbsession.add(item)
    return item


def _link_rows(entry):
    """(kind, target slug, note_id, note_en) of the links an entry starts."""
    if entry["type"] == "example":
        return [("uses", u["topic"], u["note_id"], u["note_en"]) for u in entry["uses"]]
    return [(r["kind"], r["target"], r["note_id"], r["note_en"]) for r in entry["relation"]]


def _create(dbsession, entries, topics_by_slug):
    """Create ``entries`` (published, both texts, links); ``topics_by_slug`` gains them."""
    items = [(_new_item(dbsession, entry), entry) for entry in entries]
    dbsession.flush()
    for item, _entry in items:
        # The English texts were written from the current Indonesian ones.
        item.texts["en"].source_version = item.texts[SOURCE_LANGUAGE].version
        if item.type == "topic":
            topics_by_slug[item.slug] = item
    for n, (item, entry) in enumerate(items):
        for position, (kind, target, note_id, note_en) in enumerate(_link_rows(entry)):
            dbsession.add(
                Link(
                    source=item,
                    target=topics_by_slug[target],
                    kind=kind,
                    note_id=note_id,
                    note_en=note_en,
                    position=n * 100 + position,
                )
            )
    dbsession.flush()
    for item, _entry in items:
        update_references(dbsession, item)
    dbsession.flush()
    # Every item starts its history with the seed as revision 1.
    editing.ensure_initial_revisions(dbsession)
    return {(item.type, item.slug): item for item, _ in items}


def load_seed(dbsession, data=None):
    """Create every seed item, published, with both texts, old slugs, sources, facts, links."""
    data = data or read_seed()
    return _create(dbsession, data["topic"] + data["example"], {})


# ---------------------------------------------------------------------------
# A running site: add what is missing, update what no editor touched
# ---------------------------------------------------------------------------


@dataclass
class SeedReport:
    added: list = field(default_factory=list)  # "type:slug"
    updated: list = field(default_factory=list)  # untouched items brought to the new seed
    unchanged: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # edited since the seed: left alone
    dry_run: bool = False


def _edited(dbsession, item):
    """True when someone changed the item after the seed made it.

    An editor's revision (one with a user), a state that is not the one its newest
    revision recorded (a change made around the editing service), or the trash, all count.
    """
    if item.deleted_at is not None:
        return True
    by_editor = dbsession.scalar(
        select(exists().where(Revision.item_id == item.id, Revision.user_id.is_not(None)))
    )
    if by_editor:
        return True
    last = dbsession.scalars(
        select(Revision).where(Revision.item_id == item.id).order_by(Revision.number.desc())
    ).first()
    return last is None or _comparable(last.data) != _comparable(editing.snapshot(item))


def _comparable(snap):
    return {
        "status": snap["status"],
        "deleted": snap["deleted"],
        **{name: snap.get(name) for name in editing.ITEM_FIELDS},
        "texts": {
            lang: {n: values.get(n, "") for n in editing.TEXT_FIELDS}
            for lang, values in snap["texts"].items()
        },
        "links": sorted(
            (link["target_id"], link["kind"], link["note_id"], link["note_en"])
            for link in snap["links"]
        ),
        "sources": snap.get("sources", []),
        "facts": snap.get("facts", {}),
    }


def _draft(entry, topics_by_slug):
    return editing.Draft(
        fields={
            "slug": entry["slug"],
            "kind": entry.get("kind"),
            "website": entry["website"],
            "package": entry["package"],
        },
        texts={lang: dict(entry[lang]) for lang in ("id", "en")},
        links=[
            {"target_id": topics_by_slug[target].id, "kind": kind, "note_id": a, "note_en": b}
            for kind, target, a, b in _link_rows(entry)
        ],
        translation_current=True,
        sources=entry["sources"],
        facts=entry.get("facts", {}),
    )


def _wanted(entry, item, topics_by_slug):
    """The state the seed entry asks for, comparable with the item's snapshot."""
    snap = editing.snapshot(item)
    return _comparable(
        {
            "status": "published",
            "deleted": False,
            **{name: snap[name] for name in editing.ITEM_FIELDS},
            "slug": entry["slug"],
            "kind": entry.get("kind"),
            "website": entry["website"],
            "package": entry["package"],
            "texts": {lang: entry[lang] for lang in ("id", "en")},
            "links": [
                {"target_id": topics_by_slug[t].id, "kind": k, "note_id": a, "note_en": b}
                for k, t, a, b in _link_rows(entry)
            ],
            "sources": entry["sources"],
            "facts": {k: v for k, v in entry.get("facts", {}).items() if v},
        }
    )


def _existing(dbsession, entry):
    item_type, slug = entry["type"], entry["slug"]
    slugs = [slug, *entry["old_slugs"]]
    item = dbsession.scalars(
        select(Item)
        .where(Item.type == item_type, Item.slug.in_(slugs))
        .options(selectinload(Item.texts))
    ).first()
    if item is None:
        item = dbsession.scalars(
            select(Item)
            .join(SlugHistory, SlugHistory.item_id == Item.id)
            .where(SlugHistory.type == item_type, SlugHistory.slug.in_(slugs))
        ).first()
    return item


def update_seed(dbsession, data=None, dry_run=False):
    """Bring a running site's content to the bundled seed without touching an editor's work.

    Missing items are added; items nobody edited since the seed made them are brought
    to the new seed (a new revision, by no user); edited ones are left as they are and
    reported. With ``dry_run`` nothing is written (the caller rolls back).
    """
    data = data or read_seed()
    entries = data["topic"] + data["example"]
    report = SeedReport(dry_run=dry_run)
    found = {(e["type"], e["slug"]): _existing(dbsession, e) for e in entries}
    topics_by_slug = {
        slug: item for (t, slug), item in found.items() if t == "topic" and item is not None
    }
    missing = [e for e in entries if found[(e["type"], e["slug"])] is None]
    report.added = [f"{e['type']}:{e['slug']}" for e in missing]
    if missing and not dry_run:
        # Links between new items are made in one go; links to existing ones too.
        _create(dbsession, missing, topics_by_slug)
    for entry in entries:
        item = found[(entry["type"], entry["slug"])]
        if item is None:
            continue
        name = f"{entry['type']}:{entry['slug']}"
        if _edited(dbsession, item):
            report.kept.append(name)
            continue
        if any(target not in topics_by_slug for _, target, _a, _b in _link_rows(entry)):
            # Only in a dry run: the new topics it links to are not made.
            report.updated.append(name)
            continue
        if _comparable(editing.snapshot(item)) == _wanted(entry, item, topics_by_slug):
            report.unchanged.append(name)
            continue
        report.updated.append(name)
        if dry_run:
            continue
        if editing.slug_available(dbsession, item.type, entry["slug"], item):
            editing.update_item(
                dbsession,
                item,
                item.version,
                _draft(entry, topics_by_slug),
                None,
                comment="seed",
                publish=True,
            )
    return report
