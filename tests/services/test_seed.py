import re

from pybackend.models.item import SLUG_PATTERN, SUMMARY_MAX, TITLE_MAX
from pybackend.services import markdown
from pybackend.services.seed import read_seed

SEED_ARTICLE = "../shared/seed"


def test_seed_file_is_consistent():
    data = read_seed()
    topics = {t["slug"] for t in data["topic"]}
    examples = {e["slug"] for e in data["example"]}
    for entry in data["topic"] + data["example"]:
        assert re.match(SLUG_PATTERN, entry["slug"])
        for lang in ("id", "en"):
            assert len(entry[lang]["title"]) <= TITLE_MAX
            assert len(entry[lang]["summary"]) <= SUMMARY_MAX
            for kind, slug in markdown.internal_targets(entry[lang]["body"]):
                assert slug in (topics if kind == "topic" else examples), (entry["slug"], slug)
    for example in data["example"]:
        for use in example["uses"]:
            assert use["topic"] in topics
    for relation in data["relation"]:
        assert {relation["source"], relation["target"]} <= topics


def test_article_links_are_in_the_seed():
    data = read_seed()
    uses = {(e["slug"], u["topic"]) for e in data["example"] for u in e["uses"]}
    assert {
        ("instagram", "django"),
        ("spotify", "kafka"),
        ("spotify", "zeromq"),
        ("reddit", "pylons"),
        ("reddit", "pyramid"),
    } <= uses
    relations = {(r["source"], r["kind"], r["target"]) for r in data["relation"]}
    assert ("pyramid", "successor_of", "pylons") in relations
    assert ("flask", "alternative_to", "django") in relations
