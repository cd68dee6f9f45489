"""pybackend-generate: bulk bilingual content on top of a migrated, seeded database."""

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys

import pytest
import webtest
from pyramid.paster import get_appsettings
from sqlalchemy import create_engine, func, select, text

from pybackend import main
from pybackend.models import Item, ItemText, Link, Reference
from pybackend.scripts.generate_data import Generator, parse_args
from pybackend.scripts.generate_data import main as generate_main
from pybackend.services.markdown import internal_targets
from pybackend.services.seed import read_seed

from .databases import write_ini

SCRIPTS = os.path.dirname(sys.executable)
TOPICS, EXAMPLES = 30, 8
SEED_ITEMS = sum(len(read_seed()[type_]) for type_ in ("topic", "example"))
GENERATED = re.compile(r"^generated-(language|framework|library|messaging|example)-\d{6}$")


def run(script, *args):
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [os.path.join(SCRIPTS, script), *map(str, args)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def generation(engine):
    with engine.connect() as connection:
        return connection.scalar(text("SELECT generation FROM content_state"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated, seeded SQLite database with 30 generated topics and 8 examples."""
    tmp_path = tmp_path_factory.mktemp("generate")
    url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    ini = write_ini(tmp_path, url)
    initialized = run("initialize_pybackend_db", ini)
    assert initialized.returncode == 0, initialized.stderr
    engine = create_engine(url)
    before = generation(engine)
    result = run("pybackend-generate", ini, "--topics", TOPICS, "--examples", EXAMPLES, "--seed", 7)
    assert result.returncode == 0, result.stderr
    yield {
        "tmp_path": tmp_path,
        "ini": ini,
        "url": url,
        "engine": engine,
        "result": result,
        "generation_before": before,
    }
    engine.dispose()


def generated_items(engine, item_type=None):
    stmt = select(Item.id, Item.type, Item.slug, Item.kind, Item.status).where(
        Item.slug.like("generated-%")
    )
    if item_type:
        stmt = stmt.where(Item.type == item_type)
    with engine.connect() as connection:
        return connection.execute(stmt).all()


def test_counts_kinds_and_slugs(site):
    topics = generated_items(site["engine"], "topic")
    examples = generated_items(site["engine"], "example")
    assert len(topics) == TOPICS
    assert len(examples) == EXAMPLES
    assert {t.kind for t in topics} == {"language", "framework", "library", "messaging"}
    for row in [*topics, *examples]:
        assert GENERATED.match(row.slug), row.slug
        assert row.status == "published"
    assert all(t.slug.startswith(f"generated-{t.kind}-") for t in topics)
    # The seed is still there, untouched.
    with site["engine"].connect() as connection:
        assert (
            connection.scalar(select(func.count()).select_from(Item))
            == SEED_ITEMS + TOPICS + EXAMPLES
        )
    assert f"Generated {TOPICS} topics, {EXAMPLES} examples" in site["result"].stdout
    # Each phase says how long it took.
    for phase in ("topics", "examples", "links", "references", r"generation \+ search index"):
        assert re.search(rf"^{phase}: [\d.]+ s$", site["result"].stdout, re.M)


def test_every_item_has_both_languages_with_markdown_bodies(site):
    ids = [row.id for row in generated_items(site["engine"])]
    with site["engine"].connect() as connection:
        texts = connection.execute(select(ItemText).where(ItemText.item_id.in_(ids))).all()
    by_item = {}
    for t in texts:
        by_item.setdefault(t.item_id, {})[t.lang] = t
    assert set(by_item) == set(ids)
    for langs in by_item.values():
        assert set(langs) == {"id", "en"}
        for t in langs.values():
            assert t.title and t.summary
            assert t.body.count("\n\n") >= 3, "several paragraphs"
            assert "```" in t.body, "a code block"
            assert "](topic:generated-" in t.body, "internal links to generated topics"
        assert langs["id"].body != langs["en"].body
        assert langs["en"].source_version is not None


def test_links_and_references(site):
    engine = site["engine"]
    ids = {row.id: row for row in generated_items(engine)}
    with engine.connect() as connection:
        links = connection.execute(select(Link).where(Link.source_id.in_(ids))).all()
        references = set(
            connection.execute(
                select(Reference.source_id, Reference.target_id).where(Reference.source_id.in_(ids))
            ).all()
        )
        bodies = connection.execute(
            select(ItemText.item_id, ItemText.body).where(ItemText.item_id.in_(ids))
        ).all()
    slug_to_id = {row.slug: row.id for row in ids.values()}

    uses = [link for link in links if link.kind == "uses"]
    per_example = {}
    for link in uses:
        assert ids[link.source_id].type == "example"
        assert ids[link.target_id].type == "topic"
        assert link.note_id and link.note_en
        per_example.setdefault(link.source_id, []).append(link)
    assert len(per_example) == EXAMPLES
    assert all(2 <= len(v) <= 4 for v in per_example.values())
    relations = {link.kind for link in links if link.kind != "uses"}
    assert relations == {"related_to", "alternative_to"}
    for link in links:
        assert link.source_id != link.target_id
        assert link.target_id in ids

    # Every internal body link has its reference row (for backlinks).
    expected = set()
    for item_id, body in bodies:
        for item_type, slug in internal_targets(body):
            assert item_type == "topic" and slug in slug_to_id
            expected.add((item_id, slug_to_id[slug]))
    assert expected and expected == references


def test_generation_bumped_once(site):
    assert generation(site["engine"]) == site["generation_before"] + 1


def test_a_generated_topic_renders_through_the_app(site):
    settings = dict(get_appsettings(str(site["ini"])))
    settings["sqlalchemy.url"] = site["url"]
    app = webtest.TestApp(main({}, **settings), extra_environ={"HTTP_HOST": "example.com"})
    topic = generated_items(site["engine"], "topic")[0]
    example = generated_items(site["engine"], "example")[0]
    with site["engine"].connect() as connection:
        titles = dict(
            connection.execute(
                select(ItemText.lang, ItemText.title).where(ItemText.item_id == topic.id)
            ).all()
        )
    page = app.get(f"/topics/{topic.slug}", status=200)
    assert titles["id"] in page.text
    assert '<pre class="highlight"' in page.text
    assert re.search(r'href="/topics/generated-[a-z]+-\d{6}"', page.text)
    english = app.get(f"/en/topics/{topic.slug}", status=200)
    assert re.search(r'href="/en/topics/generated-[a-z]+-\d{6}"', english.text)
    app.get(f"/en/examples/{example.slug}", status=200)
    app.get("/topics", status=200)


def test_a_second_run_refuses_to_collide(site):
    result = run("pybackend-generate", site["ini"], "--topics", 5)
    assert result.returncode == 1
    assert "already has" in result.stderr and "--replace" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(generated_items(site["engine"])) == TOPICS + EXAMPLES


def test_replace_deletes_only_generated_items(site):
    tmp_path = site["tmp_path"]
    copy = tmp_path / "copy.sqlite"
    # The backup API copies what is committed, wherever it is (the file or the WAL).
    with sqlite3.connect(tmp_path / "site.sqlite") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    ini = write_ini(tmp_path, url, "copy.ini")
    result = run("pybackend-generate", ini, "--topics", 6, "--examples", 2, "--replace", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "delete:" in result.stdout
    engine = create_engine(url)
    try:
        assert len(generated_items(engine, "topic")) == 6
        assert len(generated_items(engine, "example")) == 2
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Item)) == SEED_ITEMS + 8
            orphans = connection.scalar(
                text("SELECT count(*) FROM item_texts WHERE item_id NOT IN (SELECT id FROM items)")
            )
        assert orphans == 0
    finally:
        engine.dispose()


def test_bad_arguments_exit_with_a_message_and_no_traceback(site):
    result = run("pybackend-generate", site["ini"], "--topics", "0")
    assert result.returncode == 2
    assert "--topics: must be a positive integer" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--topics", "0"], "positive integer"),
        (["--topics", "-3"], "positive integer"),
        (["--topics", "many"], "not a whole number"),
        ([], "--topics"),
        (["--topics", "3", "--examples", "x"], "not a whole number"),
    ],
)
def test_bad_arguments_are_refused(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["pybackend-generate", "app.ini", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_examples_default_to_a_fifth_of_the_topics():
    assert parse_args(["p", "app.ini", "--topics", "100"]).examples == 20
    assert parse_args(["p", "app.ini", "--topics", "3"]).examples == 1
    assert parse_args(["p", "app.ini", "--topics", "3", "--examples", "0"]).examples == 0


def test_unmigrated_database_is_refused(tmp_path):
    ini = write_ini(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite'}")
    result = run("pybackend-generate", ini, "--topics", 3)
    assert result.returncode == 1
    assert "not migrated" in result.stderr and "initialize_pybackend_db" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        generate_main(["pybackend-generate", str(tmp_path / "nope.ini"), "--topics", "3"])
    assert "no such configuration file" in str(exit_info.value.code)


def test_same_seed_same_content():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first = Generator(20, 4, seed=3, start_id=100, now=now)
    second = Generator(20, 4, seed=3, start_id=100, now=now)
    other = Generator(20, 4, seed=4, start_id=100, now=now)
    rows = [first.topic_rows(i) for i in range(20)]
    assert rows == [second.topic_rows(i) for i in range(20)]
    assert rows != [other.topic_rows(i) for i in range(20)]
    assert first.links == second.links


def test_statistics_are_fresh_after_a_bulk_load_on_postgresql(dbengine, backend):
    from pybackend.scripts.generate_data import analyze

    if backend != "postgresql":
        pytest.skip("SQLite is left without statistics, as a fresh make run has none")
    with dbengine.connect() as connection:
        before = connection.scalar(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'search_documents'")
        )
    analyze(dbengine)
    with dbengine.connect() as connection:
        after = connection.scalar(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'search_documents'")
        )
    assert after is not None and (before is None or after > before)
