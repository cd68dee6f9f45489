"""Bringing a running site to a new seed without touching what editors changed."""

import copy

from sqlalchemy import select

from pybackend.models import Item, Revision, User
from pybackend.scripts import content as content_script
from pybackend.services import editing
from pybackend.services.seed import read_seed, update_seed


def _item(dbsession, item_type, slug):
    return dbsession.scalars(select(Item).where(Item.type == item_type, Item.slug == slug)).first()


def _new_topic(data):
    entry = copy.deepcopy(data["topic"][0])
    entry.update(
        slug="starlette",
        kind="framework",
        old_slugs=[],
        relation=[
            {"source": "starlette", "target": "django", "kind": "alternative_to",
             "note_id": "", "note_en": ""}
        ],
        facts={"licence": "BSD-3-Clause"},
    )  # fmt: skip
    entry["id"] = {"title": "Starlette", "summary": "Toolkit ASGI.", "body": "Isi."}
    entry["en"] = {"title": "Starlette", "summary": "An ASGI toolkit.", "body": "Body."}
    return entry


def _editor(dbsession):
    user = User(username="penyunting", password_hash="x", role="editor")
    dbsession.add(user)
    dbsession.flush()
    return user


def test_the_bundled_seed_changes_nothing_on_a_seeded_site(dbsession):
    report = update_seed(dbsession)
    assert report.added == [] and report.updated == [] and report.kept == []
    assert "topic:django" in report.unchanged


def test_missing_items_are_added_with_their_links(dbsession):
    data = read_seed()
    data["topic"].append(_new_topic(data))
    report = update_seed(dbsession, data=data)
    assert report.added == ["topic:starlette"]
    starlette = _item(dbsession, "topic", "starlette")
    assert starlette.is_public and starlette.facts["licence"].value == "BSD-3-Clause"
    assert [link["target_slug"] for link in editing.snapshot(starlette)["links"]] == ["django"]
    assert starlette.sources  # copied from the entry it was made from
    # Run again: it is there now, and unchanged.
    again = update_seed(dbsession, data=data)
    assert again.added == [] and "topic:starlette" in again.unchanged


def test_dry_run_reports_and_writes_nothing(dbsession):
    data = read_seed()
    data["topic"].append(_new_topic(data))
    flask = next(e for e in data["topic"] if e["slug"] == "flask")
    flask["en"]["summary"] = "A new summary."
    report = update_seed(dbsession, data=data, dry_run=True)
    assert report.added == ["topic:starlette"] and report.updated == ["topic:flask"]
    assert _item(dbsession, "topic", "starlette") is None
    assert _item(dbsession, "topic", "flask").texts["en"].summary != "A new summary."


def test_untouched_items_get_the_new_text_and_edited_ones_are_kept(dbsession):
    data = read_seed()
    for entry in data["topic"]:
        if entry["slug"] in ("flask", "django"):
            entry["en"]["body"] += "\n\nA new paragraph."
    django = _item(dbsession, "topic", "django")
    texts = {
        lang: {n: getattr(t, n) for n in editing.TEXT_FIELDS} for lang, t in django.texts.items()
    }
    draft = editing.Draft(fields={}, texts=texts)
    draft.texts["id"]["summary"] = "Ringkasan dari editor."
    editing.update_item(dbsession, django, django.version, draft, _editor(dbsession))
    report = update_seed(dbsession, data=data)
    assert report.updated == ["topic:flask"]
    assert report.kept == ["topic:django"]
    flask = _item(dbsession, "topic", "flask")
    assert flask.texts["en"].body.endswith("A new paragraph.")
    assert not flask.texts["en"].source_version < flask.texts["id"].version  # not stale
    last = dbsession.scalars(
        select(Revision).where(Revision.item_id == flask.id).order_by(Revision.number.desc())
    ).first()
    assert last.number == 2 and last.user_id is None and last.comment == "seed"
    assert django.texts["id"].summary == "Ringkasan dari editor."
    assert not django.texts["en"].body.endswith("A new paragraph.")
    # Flask was brought to the seed by the seed itself: the next seed may update it again.
    data["topic"][[e["slug"] for e in data["topic"]].index("flask")]["en"]["body"] += " More."
    assert update_seed(dbsession, data=data).updated == ["topic:flask"]


def test_the_command_prints_its_report(dbsession, capsys):
    data = read_seed()
    data["topic"].append(_new_topic(data))
    content_script.update_seed(dbsession, dry_run=True, data=data)
    out = capsys.readouterr().out
    assert "would be added: topic:starlette" in out
    assert "1 would be added, 0 would be updated" in out and "dry run" in out
