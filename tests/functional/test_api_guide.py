"""Sources, facts, the comparisons and the glossary in the JSON API."""

import datetime as dt

from sqlalchemy import select

from pybackend.models import Fact, Item, Source
from tests.functional.test_api import check


def _topic(dbsession, slug):
    return dbsession.scalars(select(Item).where(Item.type == "topic", Item.slug == slug)).one()


def test_topic_has_its_sources_and_facts(testapp, dbsession):
    django = _topic(dbsession, "django")
    dbsession.add(Fact(item_id=django.id, key="licence", value="BSD-3-Clause"))
    dbsession.add(
        Source(
            item_id=django.id,
            position=5,
            title="Django release notes",
            url="https://docs.djangoproject.com/en/stable/releases/",
            publisher="Django Software Foundation",
            accessed=dt.date(2026, 12, 1),
        )
    )
    dbsession.flush()
    body = check(testapp.get("/api/v1/topics/django?lang=en")).json
    assert {"key": "licence", "value": "BSD-3-Clause"} in body["facts"]
    assert body["sources"][-1] == {
        "title": "Django release notes",
        "url": "https://docs.djangoproject.com/en/stable/releases/",
        "publisher": "Django Software Foundation",
        "accessed": "2026-12-01",
    }
    assert "sources" in check(testapp.get("/api/v1/examples/reddit")).json


def test_comparisons_list_and_detail(testapp, dbsession):
    body = check(testapp.get("/api/v1/comparisons?lang=en")).json
    names = [c["name"] for c in body["items"]]
    assert names == ["web-frameworks", "task-queues", "messaging"]
    assert body["items"][0]["title"].startswith("Web frameworks")
    dbsession.add(Fact(item_id=_topic(dbsession, "kafka").id, key="broker", value="yes"))
    dbsession.add(Fact(item_id=_topic(dbsession, "zeromq").id, key="broker", value="no"))
    dbsession.flush()
    body = check(testapp.get("/api/v1/comparisons/messaging")).json
    assert [i["slug"] for i in body["items"]] == ["kafka", "zeromq"]
    assert body["facts"] == ["broker"]
    assert body["items"][1]["facts"] == [{"key": "broker", "value": "no"}]
    assert body["missing"] == []
    body = check(testapp.get("/api/v1/comparisons/web-frameworks")).json
    assert body["missing"] == ["fastapi"]
    check(testapp.get("/api/v1/comparisons/unknown", status=404))


def test_glossary(testapp):
    body = check(testapp.get("/api/v1/glossary?lang=en")).json
    term = next(t for t in body["items"] if t["id"] == "basis data")
    assert term["en"] == "database"
    assert term["url"] == "http://example.com/en/glossary#basis-data"
    check(testapp.get("/api/v1/glossary?lang=xx", status=400))
