"""Each editor's private autosave of an edit form: stored, offered back, restored, dropped.

An autosave is the form as the editor's browser last sent it (static/js/autosave.js),
with the version the form was loaded at. It is never a revision and never touches the
item: restoring one fills the form and leaves the version it started from, so saving it
goes through the same version check (and merge screen) as any other save.
"""

import re

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from webob.multidict import MultiDict

from ..models import Autosave
from ..models.item import BODY_MAX
from . import clock, editing
from .diff import word_diff

# Every field of the edit form that holds the editor's work (not the CSRF token).
TEXT_FIELDS = (*editing.FORM_FIELDS, "translation_current", "comment")
LINK_FIELD = re.compile(r"^links-([0-9]{1,2})-(target|kind|note_id|note_en)$")
MAX_LINK_ROWS = 50
LINK_PARTS = ("target", "kind", "note_id", "note_en")


class BadAutosave(ValueError):
    """Not a form we would store: unknown fields, wrong types or too long."""


def clean(fields):
    """The storable part of a posted form: known names, strings, each within BODY_MAX."""
    if not isinstance(fields, dict):
        raise BadAutosave("fields")
    data = {}
    for name, value in fields.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise BadAutosave("type")
        if len(value) > BODY_MAX:
            raise BadAutosave("length")
        link = LINK_FIELD.match(name)
        if name in TEXT_FIELDS or (link and int(link.group(1)) < MAX_LINK_ROWS):
            data[name] = value
    return data


def _key(item_type, item):
    return item.id if item is not None else 0


def find(dbsession, user, item_type, item=None):
    return dbsession.scalars(
        select(Autosave).where(
            Autosave.user_id == user.id,
            Autosave.item_type == item_type,
            Autosave.item_key == _key(item_type, item),
        )
    ).first()


def store(dbsession, user, item_type, item, base_version, data):
    """Insert or replace this editor's autosave for the item (one row per editor and item)."""
    dialect = dbsession.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = clock.now()
    values = {
        "user_id": user.id,
        "item_type": item_type,
        "item_key": _key(item_type, item),
        "item_id": item.id if item is not None else None,
        "base_version": base_version,
        "data": data,
        "saved_at": now,
    }
    stmt = insert(Autosave).values(**values)
    dbsession.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "item_type", "item_key"],
            set_={"base_version": base_version, "data": data, "saved_at": now},
        )
    )
    return now


def discard(dbsession, user, item_type, item=None):
    dbsession.execute(
        delete(Autosave).where(
            Autosave.user_id == user.id,
            Autosave.item_type == item_type,
            Autosave.item_key == _key(item_type, item),
        )
    )


def formdata(autosave):
    """The autosave as posted form data, to fill the edit form with."""
    return MultiDict(sorted(autosave.data.items()))


def _links_text(values):
    """Links as lines of text ("django uses: note / note"), for a readable diff."""
    lines = []
    for row in values:
        if row.get("target"):
            notes = " / ".join(n for n in (row.get("note_id"), row.get("note_en")) if n)
            lines.append(f"{row['target']} {row.get('kind', '')}" + (f": {notes}" if notes else ""))
    return "\n".join(lines)


def _posted_links(data):
    rows = {}
    for name, value in data.items():
        match = LINK_FIELD.match(name)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [rows[i] for i in sorted(rows)]


def differences(autosave, saved, labels):
    """The fields where the autosave differs from ``saved`` (the form's initial data).

    ``labels`` maps a field name to its label. Returns [{"name", "label", "diff"}].
    """
    data = autosave.data
    out = []
    for name in TEXT_FIELDS:
        if name in ("comment", "translation_current") or name not in labels:
            continue
        mine = data.get(name, "")
        theirs = saved.get(name) or ""
        if mine.replace("\r\n", "\n").strip() != str(theirs).replace("\r\n", "\n").strip():
            out.append({"name": name, "label": labels[name], "diff": word_diff(theirs, mine)})
    mine_links = _links_text(_posted_links(data))
    theirs_links = _links_text(saved.get("links") or [])
    if mine_links != theirs_links:
        out.append(
            {
                "name": "links",
                "label": labels.get("links", "links"),
                "diff": word_diff(theirs_links, mine_links),
            }
        )
    return out
