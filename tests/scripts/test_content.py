"""pybackend-content: purge only what is in the trash, only when confirmed (DATA-3)."""

import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pybackend.models import AuditEntry, Item, ItemText, Link, Revision, SlugHistory, get_engine
from pybackend.scripts import content
from pybackend.services import editing
from pybackend.services.seed import load_seed
from tests.conftest import run_migrations
from tests.factories import make_example, make_link, make_topic
from tests.scripts.test_initialize_db import write_ini


class Terminal(io.StringIO):
    def isatty(self):
        return True


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def trashed(dbsession):
    topic = make_topic(dbsession, slug="usang", old_slugs=["lama-sekali"])
    example = make_example(dbsession)
    make_link(dbsession, example, topic)
    editing.record_revision(dbsession, topic, "create", None)
    editing.delete_item(dbsession, topic, topic.version, None)
    return topic


def purge(dbsession, item_type, slug, yes=True, stdin=None):
    out = io.StringIO()
    content.purge(dbsession, item_type, slug, yes=yes, stdin=stdin or io.StringIO(), out=out)
    return out.getvalue()


def test_purge_refuses_a_live_item(dbsession):
    live = make_topic(dbsession, slug="masih-dipakai")
    with pytest.raises(content.CommandError, match="not in the trash"):
        purge(dbsession, "topic", "masih-dipakai")
    assert dbsession.get(Item, live.id) is live and live.deleted_at is None


def test_purge_refuses_an_unknown_item(dbsession):
    with pytest.raises(content.CommandError, match="no example with the slug 'nope'"):
        purge(dbsession, "example", "nope")


def test_purge_removes_a_trashed_item_with_everything_it_had(dbsession, trashed):
    item_id = trashed.id
    assert count(dbsession, Link, Link.target_id == item_id) == 1
    output = purge(dbsession, "topics", "usang")
    assert "Purged topic 'usang'" in output
    dbsession.expire_all()
    assert dbsession.get(Item, item_id) is None
    for model, column in (
        (ItemText, ItemText.item_id),
        (Revision, Revision.item_id),
        (SlugHistory, SlugHistory.item_id),
        (Link, Link.target_id),
    ):
        assert count(dbsession, model, column == item_id) == 0, model
    entry = dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.object_id, entry.username) == (
        "content.purge",
        item_id,
        "(command line)",
    )


def test_slug_can_be_reused_after_purge(dbsession, trashed):
    assert not editing.slug_available(dbsession, "topic", "usang")
    assert not editing.slug_available(dbsession, "topic", "lama-sekali")
    purge(dbsession, "topic", "usang")
    assert editing.slug_available(dbsession, "topic", "usang")
    assert editing.slug_available(dbsession, "topic", "lama-sekali")
    draft = editing.Draft(
        fields={"slug": "usang", "kind": "library", "website": "", "package": ""},
        texts={"id": {"title": "Baru", "summary": "", "body": ""}},
    )
    item = editing.create_item(dbsession, "topic", draft, None)
    assert item.slug == "usang" and item.id != trashed.id


def test_purge_without_yes_refuses_when_stdin_is_not_a_terminal(dbsession, trashed):
    with pytest.raises(content.CommandError, match="not a terminal"):
        purge(dbsession, "topic", "usang", yes=False, stdin=io.StringIO("usang\n"))
    assert trashed.deleted_at is not None and dbsession.get(Item, trashed.id) is trashed


def test_purge_asks_at_a_terminal(dbsession, trashed):
    with pytest.raises(content.CommandError, match="not confirmed"):
        purge(dbsession, "topic", "usang", yes=False, stdin=Terminal("y\n"))
    assert dbsession.get(Item, trashed.id) is trashed
    output = purge(dbsession, "topic", "usang", yes=False, stdin=Terminal("usang\n"))
    assert "Type the slug" in output and "Purged" in output


def test_list_trash(dbsession, trashed):
    out = io.StringIO()
    content.list_trash(dbsession, out)
    lines = [line for line in out.getvalue().splitlines() if "\tusang\t" in line]
    assert len(lines) == 1 and lines[0].startswith("topic\tusang\t")


# --- The command itself, on its own database ---

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A seeded SQLite site of its own, with the topic 'pylons' in the trash."""
    tmp_path = tmp_path_factory.mktemp("content")
    url = f"sqlite:///{tmp_path}/site.sqlite"
    ini = str(write_ini(tmp_path, url))
    engine = get_engine({"sqlalchemy.url": url})
    with engine.begin() as connection:
        run_migrations(connection, ini)
    with Session(engine) as session:
        load_seed(session)
        pylons = session.scalars(select(Item).where(Item.slug == "pylons")).one()
        editing.delete_item(session, pylons, pylons.version, None)
        session.commit()
    yield ini, engine
    engine.dispose()


@pytest.fixture
def command(monkeypatch, capsys):
    """Run main() in this process: (exit code, stdout, stderr)."""
    # setup_logging would reconfigure (and silence) the test run's loggers.
    monkeypatch.setattr(content, "setup_logging", lambda config_uri: None)

    def call(*args, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = 0
        try:
            content.main(["pybackend-content", *args])
        except SystemExit as exit:
            code = exit.code
        out, err = capsys.readouterr()
        if isinstance(code, str):
            code, err = 1, err + code
        return code, out, err

    return call


def exists(engine, slug):
    with Session(engine) as session:
        return session.scalars(select(Item).where(Item.slug == slug)).first() is not None


def test_command_refuses_a_live_item(site, command):
    ini, engine = site
    code, out, err = command(ini, "purge", "topic", "django", "--yes")
    assert code != 0
    assert "not in the trash" in err and "Traceback" not in err
    assert exists(engine, "django")


def test_command_without_yes_refuses_from_a_pipe(site, command):
    ini, engine = site
    code, out, err = command(ini, "purge", "topic", "pylons", stdin="pylons\n")
    assert code != 0 and "not a terminal" in err
    assert exists(engine, "pylons")


def test_command_rejects_an_unknown_type(site, command):
    code, out, err = command(site[0], "purge", "page", "x", "--yes")
    assert code != 0 and "invalid choice" in err


def test_command_needs_a_real_config_file(tmp_path, command):
    code, out, err = command(str(tmp_path / "nope.ini"), "list-trash")
    assert code != 0 and "no such configuration file" in err


def test_command_update_seed_keeps_the_trashed_item(site, command):
    ini, engine = site
    for args in (("update-seed", "--dry-run"), ("update-seed",)):
        code, out, err = command(ini, *args)
        assert code == 0, err
        assert "kept: edited since the seed, left as they are: topic:pylons" in out
        assert "0 added" in out or "0 would be added" in out
    assert "dry run: nothing was changed" in command(ini, "update-seed", "--dry-run")[1]
    with Session(engine) as session:
        pylons = session.scalars(select(Item).where(Item.slug == "pylons")).one()
        assert pylons.deleted_at is not None


def test_command_lists_and_purges(site, command):
    ini, engine = site
    code, out, err = command(ini, "list-trash")
    assert code == 0, err
    assert "topic\tpylons\t" in out
    # Once through a real process, as an operator runs it (stdin is not a terminal).
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pybackend.scripts.content",
            ini,
            "purge",
            "topic",
            "pylons",
            "--yes",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Purged topic 'pylons'" in result.stdout
    assert not exists(engine, "pylons")
    with Session(engine) as session:
        assert editing.slug_available(session, "topic", "pylons")
    code, out, err = command(ini, "purge", "topic", "pylons", "--yes")
    assert code != 0 and "no topic" in err
    assert "The trash is empty." in command(ini, "list-trash")[1]
