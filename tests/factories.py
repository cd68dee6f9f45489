"""Small builders for test data: make_topic(dbsession, **overrides) and friends."""

import datetime as dt
import itertools

from sqlalchemy import insert

from pybackend.models import Example, Item, ItemText, Link, SlugHistory, Topic
from pybackend.services import pages, translations
from pybackend.services.content import update_references

_counter = itertools.count(1)


def _texts(item, lang_texts):
    for lang, values in lang_texts.items():
        if values is None:
            continue
        title, summary, body = values
        item.texts[lang] = ItemText(lang=lang, title=title, summary=summary, body=body)


def _make(model, dbsession, slug, texts, old_slugs, **fields):
    n = next(_counter)
    slug = slug or f"{model.__name__.lower()}-{n}"
    fields.setdefault("status", "published")
    item = model(slug=slug, **fields)
    if texts is None:
        texts = {
            "id": (f"Judul {slug}", f"Ringkasan {slug}", f"Isi **{slug}**."),
            "en": (f"Title {slug}", f"Summary {slug}", f"Body **{slug}**."),
        }
    _texts(item, texts)
    for old in old_slugs:
        item.old_slugs.append(SlugHistory(type=item.type, slug=old))
    dbsession.add(item)
    dbsession.flush()
    if "en" in item.texts and "id" in item.texts:
        item.texts["en"].source_version = item.texts["id"].version
    update_references(dbsession, item)
    translations.refresh(dbsession, item)
    return item


def make_topic(dbsession, slug=None, texts=None, old_slugs=(), **fields):
    fields.setdefault("kind", "library")
    return _make(Topic, dbsession, slug, texts, old_slugs, **fields)


def make_example(dbsession, slug=None, texts=None, old_slugs=(), **fields):
    fields.setdefault("website", "https://example.org/")
    return _make(Example, dbsession, slug, texts, old_slugs, **fields)


def make_link(dbsession, source, target, kind="uses", note_id="", note_en=""):
    link = Link(source=source, target=target, kind=kind, note_id=note_id, note_en=note_en)
    dbsession.add(link)
    dbsession.flush()
    return link


def bulk_topics(dbsession, count, prefix="massal", deleted=False):
    """``count`` published topics ``{prefix}-00000``… titled "Massal 0"…, both languages,
    written with two Core bulk inserts (thousands in well under a second) in the
    session's transaction. Returns their ids in order."""
    now = dt.datetime.now(dt.UTC)
    items = Item.__table__
    rows = [
        {
            "type": "topic",
            "slug": f"{prefix}-{n:05d}",
            "kind": "library",
            "website": "",
            "package": "",
            "status": "published",
            "translation": "current",
            "deleted_at": now - dt.timedelta(seconds=n) if deleted else None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for n in range(count)
    ]
    ids = list(
        dbsession.execute(
            insert(items).returning(items.c.id, sort_by_parameter_order=True), rows
        ).scalars()
    )
    texts = [
        {
            "item_id": item_id,
            "lang": lang,
            "title": f"{title} {n}",
            "summary": "",
            "body": "",
            "source_version": 1 if lang == "en" else None,
            "updated_at": now,
            "version": 1,
        }
        for n, item_id in enumerate(ids)
        for lang, title in (("id", "Massal"), ("en", "Bulk"))
    ]
    dbsession.execute(insert(ItemText.__table__), texts)
    # A Core insert passes no object through the flush: name what it changed, as the
    # app's own bulk writes do (the lists, their counts and every page cache follow).
    pages.touch(dbsession, "l:topic", "any")
    return ids
