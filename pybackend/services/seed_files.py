"""Read and check the seed files: ``seed/items/<type>-<slug>.toml`` and ``seed/glossary.toml``.

The format is described in docs/content.md. Every file is checked on its own (unknown
keys, missing keys, wrong types, malformed slugs, dates and URLs are errors naming the
file), then the set as a whole (duplicate slugs, links to topics that do not exist).
"""

import datetime as dt
import re
import tomllib
from importlib import resources

from ..models.item import SLUG_PATTERN, SUMMARY_MAX, TITLE_MAX, TOPIC_KINDS, URL_MAX
from ..models.source import FACT_DATE_PATTERN, FACT_KEYS, FACT_MAX, PUBLISHER_MAX

SEED_RELATION_KINDS = ("related_to", "alternative_to", "successor_of", "built_on", "uses")
ITEM_TYPES = ("topic", "example")
_COMMON_KEYS = {"type", "slug", "website", "old_slugs", "id", "en", "sources"}
KEYS = {
    "topic": _COMMON_KEYS | {"kind", "package", "facts", "relation"},
    "example": _COMMON_KEYS | {"uses", "package"},
}
REQUIRED = {"type", "slug", "id", "en"}
TEXT_KEYS = {"title", "summary", "body"}
SOURCE_KEYS = {"title", "url", "publisher", "accessed"}
RELATION_KEYS = {"target", "kind", "note_id", "note_en"}
USES_KEYS = {"topic", "note_id", "note_en"}
TERM_KEYS = {"id", "en", "note_id", "note_en"}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class SeedError(ValueError):
    """A seed file that does not follow the format; the message names the file."""


def _check_keys(name, where, table, allowed, required=()):
    if not isinstance(table, dict):
        raise SeedError(f"{name}: {where} must be a table")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SeedError(f"{name}: unknown key(s) in {where}: {', '.join(unknown)}")
    missing = sorted(set(required) - set(table))
    if missing:
        raise SeedError(f"{name}: missing key(s) in {where}: {', '.join(missing)}")


def _string(name, where, value, max_length=None, pattern=None):
    if not isinstance(value, str):
        raise SeedError(f"{name}: {where} must be a string")
    if max_length is not None and len(value) > max_length:
        raise SeedError(f"{name}: {where} is longer than {max_length} characters")
    if pattern is not None and value and not re.match(pattern, value):
        raise SeedError(f"{name}: {where} is malformed: {value!r}")
    return value


def _array_of_tables(name, where, value):
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise SeedError(f"{name}: {where} must be an array of tables ([[{where}]])")
    return value


def check_item(name, data):
    """The normalised entry of one item file, or SeedError."""
    if not isinstance(data, dict) or data.get("type") not in ITEM_TYPES:
        raise SeedError(f"{name}: type must be one of {', '.join(ITEM_TYPES)}")
    item_type = data["type"]
    _check_keys(name, "the file", data, KEYS[item_type], REQUIRED)
    slug = _string(name, "slug", data["slug"], 100, SLUG_PATTERN)
    if not slug:
        raise SeedError(f"{name}: slug is empty")
    if name != f"{item_type}-{slug}.toml":
        raise SeedError(f"{name}: the file must be called {item_type}-{slug}.toml")
    entry = {
        "type": item_type,
        "slug": slug,
        "website": _string(name, "website", data.get("website", ""), URL_MAX, _URL.pattern),
        "package": _string(name, "package", data.get("package", ""), 100),
        "old_slugs": [
            _string(name, "old_slugs", old, 100, SLUG_PATTERN) for old in data.get("old_slugs", [])
        ],
    }
    if item_type == "topic":
        kind = data.get("kind")
        if kind not in TOPIC_KINDS:
            raise SeedError(f"{name}: kind must be one of {', '.join(TOPIC_KINDS)}")
        entry["kind"] = kind
    for lang in ("id", "en"):
        _check_keys(name, f"[{lang}]", data[lang], TEXT_KEYS, TEXT_KEYS)
        entry[lang] = {
            "title": _string(name, f"{lang}.title", data[lang]["title"], TITLE_MAX),
            "summary": _string(name, f"{lang}.summary", data[lang]["summary"], SUMMARY_MAX),
            "body": _string(name, f"{lang}.body", data[lang]["body"]),
        }
        if not entry[lang]["title"].strip():
            raise SeedError(f"{name}: {lang}.title is empty")
    facts = data.get("facts", {})
    _check_keys(name, "[facts]", facts, FACT_KEYS)
    entry["facts"] = {}
    for key, value in facts.items():
        pattern = FACT_DATE_PATTERN if key in ("first_release", "latest_version_date") else None
        entry["facts"][key] = _string(name, f"facts.{key}", value, FACT_MAX, pattern)
    entry["sources"] = [
        _check_source(name, n, row)
        for n, row in enumerate(_array_of_tables(name, "sources", data.get("sources", [])), 1)
    ]
    entry["relation"] = []
    for row in _array_of_tables(name, "relation", data.get("relation", [])):
        _check_keys(name, "[[relation]]", row, RELATION_KEYS, {"target", "kind"})
        if row["kind"] not in SEED_RELATION_KINDS:
            kinds = ", ".join(SEED_RELATION_KINDS)
            raise SeedError(f"{name}: relation kind must be one of {kinds}")
        entry["relation"].append(_link_row(name, "relation", row, "target", slug))
    entry["uses"] = []
    for row in _array_of_tables(name, "uses", data.get("uses", [])):
        _check_keys(name, "[[uses]]", row, USES_KEYS, {"topic"})
        entry["uses"].append(_link_row(name, "uses", row, "topic"))
    return entry


def _link_row(name, where, row, target_key, source=None):
    target = _string(name, f"{where}.{target_key}", row[target_key], 100, SLUG_PATTERN)
    if source is not None:
        row = {**row, "source": source}
    return {
        **row,
        target_key: target,
        "note_id": _string(name, f"{where}.note_id", row.get("note_id", ""), 200),
        "note_en": _string(name, f"{where}.note_en", row.get("note_en", ""), 200),
    }


def _check_source(name, n, row):
    where = f"source {n}"
    _check_keys(name, f"[[sources]] {n}", row, SOURCE_KEYS, SOURCE_KEYS)
    accessed = row["accessed"]
    if isinstance(accessed, dt.date) and not isinstance(accessed, dt.datetime):
        accessed = accessed.isoformat()  # an unquoted TOML date
    try:
        dt.date.fromisoformat(_string(name, f"{where} accessed", accessed, 10))
    except ValueError:
        raise SeedError(f"{name}: {where} accessed must be an ISO date, e.g. 2026-12-01") from None
    return {
        "title": _string(name, f"{where} title", row["title"], TITLE_MAX),
        "url": _string(name, f"{where} url", row["url"], URL_MAX, _URL.pattern),
        "publisher": _string(name, f"{where} publisher", row["publisher"], PUBLISHER_MAX),
        "accessed": accessed,
    }


def check_glossary(name, data):
    _check_keys(name, "the file", data, {"term"})
    terms = []
    for row in _array_of_tables(name, "term", data.get("term", [])):
        _check_keys(name, "[[term]]", row, TERM_KEYS, TERM_KEYS)
        terms.append({key: _string(name, f"term {key}", row[key], 300) for key in TERM_KEYS})
    return terms


def check_set(entries):
    """Checks across files: unique slugs, links to topics that exist."""
    seen = {}
    for name, entry in entries:
        key = (entry["type"], entry["slug"])
        for old in entry["old_slugs"]:
            key_old = (entry["type"], old)
            if key_old in seen:
                raise SeedError(f"{name}: old slug {old} is used by {seen[key_old]} too")
            seen[key_old] = name
        if key in seen:
            raise SeedError(f"{name}: slug {entry['slug']} is used by {seen[key]} too")
        seen[key] = name
    topics = {entry["slug"] for _, entry in entries if entry["type"] == "topic"}
    for name, entry in entries:
        for row in entry["relation"]:
            if row["target"] not in topics or row["target"] == entry["slug"]:
                raise SeedError(f"{name}: relation to unknown topic {row['target']}")
        for row in entry["uses"]:
            if row["topic"] not in topics:
                raise SeedError(f"{name}: uses unknown topic {row['topic']}")


def _load(name, handle):
    try:
        return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise SeedError(f"{name}: not valid TOML: {error}") from None


def seed_root():
    return resources.files("pybackend").joinpath("seed")


def read_items(root=None):
    """Every item file, checked: [(file name, entry)], in file-name order."""
    folder = (root or seed_root()).joinpath("items")
    entries = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".toml"):
            continue
        with path.open("rb") as handle:
            entries.append((path.name, check_item(path.name, _load(path.name, handle))))
    check_set(entries)
    return entries


def read_glossary(root=None):
    path = (root or seed_root()).joinpath("glossary.toml")
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        return check_glossary("glossary.toml", _load("glossary.toml", handle))
