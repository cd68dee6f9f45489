"""Sources, facts, the comparisons and the glossary in the JSON API."""

import datetime as dt

from sqlalchemy import select

from pybackend.models import Fact, Item, Source
from tests.functional.test_api import check


def _topic(dbsession, slug):
    return dbsession.scalars(select(Item).where(Item.type == "topic", Item.slug == slug)).one()


def test_topic_has_its_sources_and_facts(testapp, dbsession):
    django = _topic(dbsession, "django")
    # The seed's licence (pybackend/seed/items/topic-django.toml), then an edited one.
    body = check(testapp.get("/api/v1/topics/django?lang=en")).json
    assert {"key": "licence", "value": "BSD-3-Clause"} in body["facts"]
    assert {"key": "latest_version", "value": "6.0"} not in body["facts"]
    django.facts["licence"].value = "BSD-2-Clause"
    django.facts["latest_version"] = Fact(key="latest_version", value="6.0")
    django.sources.append(
        Source(
            position=max(s.position for s in django.sources) + 1,
            title="Django release notes",
            url="https://docs.djangoproject.com/en/stable/releases/",
            publisher="Django Software Foundation",
            accessed=dt.date(2026, 12, 1),
        )
    )
    dbsession.flush()
    body = check(testapp.get("/api/v1/topics/django?lang=en")).json
    assert {"key": "licence", "value": "BSD-2-Clause"} in body["facts"]
    assert {"key": "licence", "value": "BSD-3-Clause"} not in body["facts"]
    assert {"key": "latest_version", "value": "6.0"} in body["facts"]
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
    # The seed's messaging facts (pybackend/seed/items/topic-{kafka,zeromq}.toml).
    body = check(testapp.get("/api/v1/comparisons/messaging")).json
    assert [i["slug"] for i in body["items"]] == ["kafka", "zeromq"]
    assert body["facts"] == [
        "first_release",
        "licence",
        "maintainer",
        "broker",
        "persistence",
        "protocol",
    ]
    assert {"key": "broker", "value": "no"} in body["items"][1]["facts"]
    assert body["missing"] == []
    # Facts only those two have left: the rows follow the items' facts.
    for slug in ("kafka", "zeromq"):
        topic = _topic(dbsession, slug)
        for key in list(topic.facts):
            if key != "broker":
                del topic.facts[key]
    dbsession.flush()
    body = check(testapp.get("/api/v1/comparisons/messaging")).json
    assert body["facts"] == ["broker"]
    assert body["items"][0]["facts"] == [{"key": "broker", "value": "yes"}]
    assert body["items"][1]["facts"] == [{"key": "broker", "value": "no"}]
    body = check(testapp.get("/api/v1/comparisons/web-frameworks")).json
    assert body["missing"] == []
    fastapi = _topic(dbsession, "fastapi")
    fastapi.deleted_at = fastapi.updated_at = dt.datetime.now(dt.UTC)  # in the trash
    dbsession.flush()
    body = check(testapp.get("/api/v1/comparisons/web-frameworks")).json
    assert body["missing"] == ["fastapi"]
    assert "fastapi" not in [i["slug"] for i in body["items"]]
    check(testapp.get("/api/v1/comparisons/unknown", status=404))


def test_glossary(testapp):
    body = check(testapp.get("/api/v1/glossary?lang=en")).json
    term = next(t for t in body["items"] if t["id"] == "basis data")
    assert term["en"] == "database"
    assert term["url"] == "http://example.com/en/glossary#basis-data"
    check(testapp.get("/api/v1/glossary?lang=xx", status=400))
