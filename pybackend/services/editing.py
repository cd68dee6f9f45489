"""Changing content without ever losing work (DATA-1, DATA-2, DATA-3).

Every change goes through here: it checks the version the editor loaded (optimistic
locking), applies the change, and appends an immutable revision with the full text of
both languages and the links, all in the caller's transaction.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from ..models import Example, Fact, Item, ItemText, Link, Revision, SlugHistory, Source, Topic
from ..models.item import LANGUAGES, SOURCE_LANGUAGE
from ..models.source import FACT_KEYS
from . import audit, clock, images, pages, translations
from .content import update_references

TEXT_FIELDS = ("title", "summary", "body")
ITEM_FIELDS = ("slug", "kind", "website", "package")
# The edit form's fields of an item's data: its own, then each language's texts.
# Every field of the edit form an editor types into (the merge screen, autosaves).
FORM_FIELDS = (
    ITEM_FIELDS
    + TEXT_FIELDS
    + tuple("en_" + name for name in TEXT_FIELDS)
    + ("sources", *(f"fact_{key}" for key in FACT_KEYS))
)
MODELS = {"topic": Topic, "example": Example}


class Conflict(Exception):
    """Someone saved the item since the editor loaded it."""

    def __init__(self, item):
        super().__init__(item.id)
        self.item = item


class SlugTaken(ValueError):
    pass


@dataclass
class Draft:
    """What an editor submits: fields, texts per language and outgoing links."""

    fields: dict
    texts: dict  # lang -> {"title", "summary", "body"}
    links: list = field(default_factory=list)  # [{"target_id", "kind", "note_id", "note_en"}]
    translation_current: bool = False  # the English text was checked against the source
    # None leaves them as they are; a list (a dict) replaces them.
    sources: list | None = None  # [{"title", "url", "publisher", "accessed": "YYYY-MM-DD"}]
    facts: dict | None = None  # key -> value, topics only (FACT_KEYS)


def snapshot(item):
    """The whole state of an item, as stored in a revision (JSON-safe)."""
    links = item_links(item)
    return {
        "type": item.type,
        "status": item.status,
        "deleted": item.deleted_at is not None,
        **{name: getattr(item, name) for name in ITEM_FIELDS},
        "texts": {
            lang: {name: getattr(text, name) for name in TEXT_FIELDS}
            | {"source_version": text.source_version, "version": text.version}
            for lang, text in item.texts.items()
        },
        "links": [
            {
                "target_id": link.target_id,
                "target_slug": link.target.slug,
                "kind": link.kind,
                "note_id": link.note_id,
                "note_en": link.note_en,
            }
            for link in links
        ],
        "sources": [source.as_dict() for source in item.sources],
        "facts": {key: item.facts[key].value for key in FACT_KEYS if key in item.facts},
    }


def item_links(item):
    session = _session(item)
    return list(
        session.scalars(
            select(Link).where(Link.source_id == item.id).order_by(Link.position, Link.id)
        )
    )


def _session(item):
    from sqlalchemy.orm import object_session

    return object_session(item)


def next_revision_number(dbsession, item):
    return (
        dbsession.scalar(select(func.max(Revision.number)).where(Revision.item_id == item.id)) or 0
    ) + 1


def record_revision(dbsession, item, action, user, comment="", data=None):
    """A revision of ``item``: its state now, or ``data`` (a proposal: what it would be)."""
    dbsession.flush()
    revision = Revision(
        item_id=item.id,
        number=next_revision_number(dbsession, item),
        action=action,
        user_id=user.id if user is not None else None,
        comment=(comment or "")[:200],
        item_version=item.version,
        data=snapshot(item) if data is None else data,
        created_at=clock.now(),
    )
    dbsession.add(revision)
    dbsession.flush()
    return revision


def log_change(dbsession, item, action, user, comment="", data=None, **detail):
    """The two records of every change: a revision of the item and an audit entry."""
    translations.refresh(dbsession, item)
    revision = record_revision(dbsession, item, action, user, comment, data)
    audit.record(
        dbsession,
        f"content.{action}",
        user=user,
        obj=item,
        slug=item.slug,
        version=item.version,
        revision=revision.number,
        **detail,
    )
    return revision


# The largest value of an id or version column (32-bit integers on PostgreSQL).
MAX_INT = 2**31 - 1
_VERSION = re.compile(r"[0-9]{1,10}")


def parse_version(value):
    """The version a form carried, as an int, or None when it is none we could have sent.

    ASCII digits only ("²".isdigit() is true, and int() refuses it), and within the
    column's range: PostgreSQL refuses a larger number in a comparison.
    """
    value = str(value or "")
    if _VERSION.fullmatch(value) and int(value) <= MAX_INT:
        return int(value)
    return None


def check_version(item, expected_version):
    """The editor's form must carry the version it loaded; anything else is a conflict."""
    if parse_version(expected_version) != item.version:
        raise Conflict(item)


def slug_available(dbsession, item_type, slug, item=None):
    """Free for this item: no other item has it now, or ever had it (old URLs keep working)."""
    other = dbsession.scalars(
        select(Item.id).where(Item.type == item_type, Item.slug == slug)
    ).first()
    if other is not None and (item is None or other != item.id):
        return False
    history = dbsession.scalars(
        select(SlugHistory.item_id).where(SlugHistory.type == item_type, SlugHistory.slug == slug)
    ).first()
    return history is None or (item is not None and history == item.id)


def _apply(dbsession, item, draft):
    old_slug = item.slug
    for name in ITEM_FIELDS:
        if name in draft.fields:
            setattr(item, name, draft.fields[name])
    if item.type != "topic":
        item.kind = None
    if old_slug and item.slug != old_slug:
        if not slug_available(dbsession, item.type, item.slug, item):
            raise SlugTaken(item.slug)
        # The new slug may be one this item had before: it is current again.
        dbsession.execute(
            delete(SlugHistory).where(SlugHistory.item_id == item.id, SlugHistory.slug == item.slug)
        )
        item.old_slugs.append(SlugHistory(type=item.type, slug=old_slug))
    source_changed = False
    for lang in LANGUAGES:
        values = draft.texts.get(lang)
        text = item.texts.get(lang)
        if not values or not any((values.get(n) or "").strip() for n in TEXT_FIELDS):
            if text is not None and lang != SOURCE_LANGUAGE:
                del item.texts[lang]
            continue
        if text is None:
            text = item.texts[lang] = ItemText(lang=lang, title="", summary="", body="")
        changed = any(getattr(text, n) != values.get(n, "") for n in TEXT_FIELDS)
        for name in TEXT_FIELDS:
            setattr(text, name, values.get(name, ""))
        if lang == SOURCE_LANGUAGE:
            source_changed = changed
        elif changed:
            text.source_version = None  # set below, once the source's version is known
    # Touch the item row on every save, so that its version moves even when only texts
    # or links change: that version is what the edit forms carry.
    item.updated_at = clock.now()
    dbsession.flush()
    source = item.texts.get(SOURCE_LANGUAGE)
    english = item.texts.get("en")
    if (
        english is not None
        and source is not None
        and (english.source_version is None or draft.translation_current)
    ):
        english.source_version = source.version
    if draft.links is not None:
        _set_links(dbsession, item, draft.links)
    if draft.sources is not None:
        _set_sources(item, draft.sources)
    if draft.facts is not None:
        _set_facts(item, draft.facts if item.type == "topic" else {})
    update_references(dbsession, item)
    images.update_uses(dbsession, item)
    dbsession.flush()
    return source_changed


def _set_links(dbsession, item, rows):
    # A bulk delete passes no objects through the flush: name the pages it changes.
    pages.note_pages(
        dbsession, dbsession.scalars(select(Link.target_id).where(Link.source_id == item.id))
    )
    dbsession.execute(delete(Link).where(Link.source_id == item.id))
    seen = set()
    for position, row in enumerate(rows):
        key = (int(row["target_id"]), row["kind"])
        if key in seen or key[0] == item.id:
            continue
        seen.add(key)
        dbsession.add(
            Link(
                source_id=item.id,
                target_id=key[0],
                kind=row["kind"],
                note_id=row.get("note_id", ""),
                note_en=row.get("note_en", ""),
                position=position,
            )
        )
    dbsession.flush()


def _set_sources(item, rows):
    wanted = [
        (row["title"], row["url"], row.get("publisher", ""), dt.date.fromisoformat(row["accessed"]))
        for row in rows
    ]
    have = [(s.title, s.url, s.publisher, s.accessed) for s in item.sources]
    if wanted == have:
        return
    item.sources.clear()
    for position, (title, url, publisher, accessed) in enumerate(wanted):
        item.sources.append(
            Source(title=title, url=url, publisher=publisher, accessed=accessed, position=position)
        )


def _set_facts(item, values):
    for key in list(item.facts):
        if not values.get(key):
            del item.facts[key]
    for key in FACT_KEYS:
        value = values.get(key) or ""
        if not value:
            continue
        if key in item.facts:
            item.facts[key].value = value
        else:
            item.facts[key] = Fact(key=key, value=value)


def create_item(dbsession, item_type, draft, user, comment="", publish=False):
    slug = draft.fields["slug"]
    if not slug_available(dbsession, item_type, slug):
        raise SlugTaken(slug)
    item = MODELS[item_type](
        slug=slug, status="published" if publish else "draft", website="", package=""
    )
    dbsession.add(item)
    _apply(dbsession, item, draft)
    log_change(dbsession, item, "create", user, comment, status=item.status)
    return item


def update_item(
    dbsession, item, expected_version, draft, user, comment="", publish=None, action=None
):
    """Apply ``draft`` over the version the editor loaded; Conflict if it moved on.

    ``action`` names the revision instead of update/publish/unpublish (e.g. "approve")."""
    check_version(item, expected_version)
    before = item.version
    _apply(dbsession, item, draft)
    named = "update"
    if publish is not None:
        status = "published" if publish else "draft"
        if status != item.status:
            named = "publish" if publish else "unpublish"
            item.status = status
            dbsession.flush()
    return log_change(dbsession, item, action or named, user, comment, from_version=before)


def set_status(
    dbsession, item, status, user, action=None, comment="", expected_version=None, **detail
):
    """Publish or unpublish without touching the texts (bulk actions, schedules, review).

    ``action`` names the revision ("publish"/"unpublish" by default); with an
    ``expected_version`` a stale one is a conflict.
    """
    if expected_version is not None:
        check_version(item, expected_version)
        detail.setdefault("from_version", item.version)
    item.status = status
    item.updated_at = clock.now()
    action = action or ("publish" if status == "published" else "unpublish")
    return log_change(dbsession, item, action, user, comment, **detail)


def delete_item(dbsession, item, expected_version, user, comment=""):
    """Soft delete: into the trash, with its texts, links and history intact."""
    check_version(item, expected_version)
    item.deleted_at = clock.now()
    item.updated_at = clock.now()
    return log_change(dbsession, item, "delete", user, comment)


def restore_item(dbsession, item, user, comment=""):
    """Out of the trash, exactly as it was (links were never removed)."""
    item.deleted_at = None
    item.updated_at = clock.now()
    return log_change(dbsession, item, "restore", user, comment)


def draft_of(dbsession, data):
    """The Draft that makes an item what the revision snapshot ``data`` holds; links to
    items that are gone since are left out."""
    existing = {
        row[0]
        for row in dbsession.execute(
            select(Item.id).where(Item.id.in_([link["target_id"] for link in data["links"]]))
        )
    }
    return Draft(
        fields={name: data.get(name) for name in ITEM_FIELDS if name in data},
        texts={
            lang: {n: values.get(n, "") for n in TEXT_FIELDS}
            for lang, values in data["texts"].items()
        },
        links=[link for link in data["links"] if link["target_id"] in existing],
        # Revisions made before sources and facts existed had none.
        sources=data.get("sources", []),
        facts=data.get("facts", {}),
        translation_current=bool(data.get("translation_current")),
    )


def draft_snapshot(dbsession, item, draft):
    """What ``item`` would be with ``draft`` applied, as a revision snapshot, without
    touching it (a proposal that waits for review)."""
    data = snapshot(item)
    for name in ITEM_FIELDS:
        if name in draft.fields:
            data[name] = draft.fields[name]
    if data["slug"] != item.slug and not slug_available(dbsession, item.type, data["slug"], item):
        raise SlugTaken(data["slug"])
    for lang in LANGUAGES:
        values = draft.texts.get(lang) or {}
        if not any((values.get(n) or "").strip() for n in TEXT_FIELDS):
            if lang != SOURCE_LANGUAGE:
                data["texts"].pop(lang, None)
            continue
        old = data["texts"].get(lang, {})
        data["texts"][lang] = {n: values.get(n, "") for n in TEXT_FIELDS} | {
            "source_version": old.get("source_version"),
            "version": old.get("version"),
        }
    if draft.links is not None:
        targets = {
            row.id: row.slug
            for row in dbsession.execute(
                select(Item.id, Item.slug).where(
                    Item.id.in_([int(link["target_id"]) for link in draft.links])
                )
            )
        }
        data["links"] = [
            {
                "target_id": int(link["target_id"]),
                "target_slug": targets[int(link["target_id"])],
                "kind": link["kind"],
                "note_id": link.get("note_id", ""),
                "note_en": link.get("note_en", ""),
            }
            for link in draft.links
            if int(link["target_id"]) in targets
        ]
    if draft.sources is not None:
        data["sources"] = [dict(row) for row in draft.sources]
    if draft.facts is not None:
        data["facts"] = {key: value for key, value in draft.facts.items() if value}
    data["translation_current"] = draft.translation_current
    return data


def revert_to(dbsession, item, revision, expected_version, user, comment=""):
    """Make an old revision current again, as a new revision (history is never rewritten)."""
    check_version(item, expected_version)
    data = revision.data
    draft = draft_of(dbsession, data)
    if draft.fields.get("slug") != item.slug and not slug_available(
        dbsession, item.type, draft.fields["slug"], item
    ):
        draft.fields["slug"] = item.slug
    _apply(dbsession, item, draft)
    english = item.texts.get("en")
    old_english = data["texts"].get("en")
    if english is not None and old_english and old_english.get("source_version") is not None:
        # Stale then, stale now: the old translation matched the old source only.
        source_was = data["texts"].get(SOURCE_LANGUAGE, {}).get("version")
        if source_was is not None and old_english["source_version"] < source_was:
            english.source_version = 0
    return log_change(
        dbsession,
        item,
        "revert",
        user,
        comment or f"#{revision.number}",
        to_revision=revision.number,
    )


def purge_item(dbsession, item):
    """Gone for good, with its history: only from the command line."""
    dbsession.delete(item)
    dbsession.flush()


def ensure_initial_revisions(dbsession):
    """Give every item without history a first revision (e.g. the seed content)."""
    have = select(Revision.item_id)
    for item in dbsession.scalars(select(Item).where(Item.id.not_in(have))):
        record_revision(dbsession, item, "create", None, "")
