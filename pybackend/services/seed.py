"""Load the bundled seed content (pybackend/seed/content.toml) into an empty database."""

import tomllib
from importlib import resources

from sqlalchemy import func, select

from ..models import Example, Item, ItemText, Link, SlugHistory, Topic
from ..models.item import SOURCE_LANGUAGE
from .content import update_references
from .editing import ensure_initial_revisions


def read_seed():
    with resources.files("pybackend").joinpath("seed/content.toml").open("rb") as f:
        return tomllib.load(f)


def is_empty(dbsession):
    return not dbsession.scalar(select(func.count()).select_from(Item))


def load_seed(dbsession, data=None):
    """Create every seed item, published, with both texts, old slugs and links."""
    data = data or read_seed()
    items = {}
    for item_type, model, entries in (
        ("topic", Topic, data.get("topic", [])),
        ("example", Example, data.get("example", [])),
    ):
        for entry in entries:
            item = model(
                slug=entry["slug"],
                kind=entry.get("kind"),
                website=entry.get("website") or entry.get("url", ""),
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
                item.old_slugs.append(SlugHistory(type=item_type, slug=old))
            dbsession.add(item)
            items[(item_type, entry["slug"])] = item
    dbsession.flush()

    # The English texts were written from the current Indonesian ones.
    for item in items.values():
        item.texts["en"].source_version = item.texts[SOURCE_LANGUAGE].version

    for position, entry in enumerate(data.get("example", [])):
        source = items[("example", entry["slug"])]
        for n, use in enumerate(entry.get("uses", [])):
            dbsession.add(
                Link(
                    source=source,
                    target=items[("topic", use["topic"])],
                    kind="uses",
                    note_id=use.get("note_id", ""),
                    note_en=use.get("note_en", ""),
                    position=position * 100 + n,
                )
            )
    for n, rel in enumerate(data.get("relation", [])):
        dbsession.add(
            Link(
                source=items[("topic", rel["source"])],
                target=items[("topic", rel["target"])],
                kind=rel["kind"],
                note_id=rel.get("note_id", ""),
                note_en=rel.get("note_en", ""),
                position=n,
            )
        )
    dbsession.flush()
    for item in items.values():
        update_references(dbsession, item)
    dbsession.flush()
    # Every item starts its history with the seed as revision 1.
    ensure_initial_revisions(dbsession)
    return items
