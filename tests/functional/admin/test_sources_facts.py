"""Sources and facts in the editors' area: saved, shown, in history, merged, restored."""

import pytest
import webtest
from sqlalchemy import select

from pybackend.models import Item, Revision
from tests.functional.admin_helpers import logged_in, login, make_user

LINE = "Flask documentation | https://flask.palletsprojects.com/ | Pallets | 2026-12-01"


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def flask(dbsession):
    return dbsession.scalars(select(Item).where(Item.type == "topic", Item.slug == "flask")).one()


def edit_form(client, item):
    return client.get(f"/admin/topics/{item.id}").forms["item-form"]


def test_sources_and_facts_are_saved_and_shown_to_readers(testapp, dbsession, editor):
    topic = flask(dbsession)
    form = edit_form(testapp, topic)
    form["sources"] = LINE
    form["fact_licence"] = "BSD-3-Clause"
    form["fact_first_release"] = "2010-04"
    form.submit("action", value="save", status=303)
    assert [s.as_dict() for s in topic.sources] == [
        {
            "title": "Flask documentation",
            "url": "https://flask.palletsprojects.com/",
            "publisher": "Pallets",
            "accessed": "2026-12-01",
        }
    ]
    assert topic.facts["licence"].value == "BSD-3-Clause"
    page = testapp.get("/en/topics/flask")
    sources = page.html.find("section", class_="sources")
    assert sources.find("h2").get_text() == "Sources"
    assert sources.find("a")["href"] == "https://flask.palletsprojects.com/"
    assert sources.find("time")["datetime"] == "2026-12-01"
    facts = page.html.find("section", class_="item-facts")
    assert "Licence" in facts.get_text() and "BSD-3-Clause" in facts.get_text()
    assert testapp.get("/topics/flask").html.find("section", class_="sources").h2.get_text() == (
        "Sumber"
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("sources", "Only a title", "Baris 1: tulis judul | URL | penerbit | tanggal diakses."),
        ("sources", "T | ftp://x | P | 2026-12-01", "Baris 1: URL harus dimulai"),
        ("sources", "T | https://x.org/ | P | 1 Dec 2026", "Baris 1: tanggal diakses"),
        ("fact_first_release", "April 2010", "Tanggal ditulis YYYY"),
    ],
)
def test_bad_sources_or_facts_are_refused_and_kept(testapp, dbsession, editor, field, value, error):
    topic = flask(dbsession)
    version = topic.version
    form = edit_form(testapp, topic)
    form[field] = value
    res = form.submit("action", value="save", status=400)
    assert error in res.text
    assert res.forms["item-form"][field].value == value
    assert topic.version == version


def test_history_diff_and_restore_cover_sources(testapp, dbsession, editor):
    topic = flask(dbsession)
    # The seed's sources (pybackend/seed/items/topic-flask.toml); the first one is LINE.
    seeded = [s.title for s in topic.sources]
    assert seeded[0] == "Flask documentation" and len(seeded) == 5
    form = edit_form(testapp, topic)
    lines = form["sources"].value.splitlines()
    assert lines[0] == LINE
    lines[0] = "Flask user guide | https://flask.palletsprojects.com/ | Pallets team | 2026-12-01"
    form["sources"] = "\n".join(lines)
    form.submit("action", value="save", status=303)
    assert [s.title for s in topic.sources] == ["Flask user guide", *seeded[1:]]
    last = dbsession.scalars(
        select(Revision).where(Revision.item_id == topic.id).order_by(Revision.number.desc())
    ).first()
    diff = testapp.get(f"/admin/topics/{topic.id}/diff?from={last.number - 1}&to={last.number}")
    section = next(
        s for s in diff.html.find_all("section", class_="diff-field") if s.h2.text == "Sumber"
    )
    assert [i.get_text() for i in section.find_all("ins")] == ["user guide", " team"]
    assert [d.get_text() for d in section.find_all("del")] == ["documentation"]
    # Restore the revision before: the seed's sources come back.
    page = testapp.get(f"/admin/topics/{topic.id}/revisions/{last.number - 1}")
    form = next(f for f in page.forms.values() if "/restore" in f.action)
    form.submit(status=303)
    assert [s.title for s in topic.sources] == seeded


def test_conflicting_sources_are_merged_like_other_fields(app, testapp, dbsession):
    make_user(dbsession, "ana")
    make_user(dbsession, "budi")
    budi = webtest.TestApp(app, extra_environ=dict(testapp.extra_environ))
    login(testapp, "ana")
    login(budi, "budi")
    topic = flask(dbsession)
    form_a, form_b = edit_form(testapp, topic), edit_form(budi, topic)
    form_a["sources"] = LINE
    form_a["fact_licence"] = "BSD-3-Clause"
    form_a.submit("action", value="save", status=303)
    form_b["sources"] = "Other | https://example.org/ | Example | 2026-11-30"
    res = form_b.submit("action", value="save", status=409)
    conflict = res.html.find("section", class_="conflict")
    assert "Flask documentation" in conflict.get_text() and "Other" in conflict.get_text()
    merge = res.forms["item-form"]
    assert merge["fact_licence"].value == "BSD-3-Clause"  # only Ana changed it: taken
    fields = dict(merge.submit_fields())
    fields.update({"take-sources": "saved", "action": "save"})
    budi.post(merge.action, fields, status=303)
    assert [s.title for s in topic.sources] == ["Flask documentation"]
    assert topic.facts["licence"].value == "BSD-3-Clause"
