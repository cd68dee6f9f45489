"""pybackend-backup: one consistent moment while an editor saves, restored row for row;
a failed backup leaves no file behind."""

import os
import re
import shutil
import subprocess
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pybackend.maintenance import MaintenanceError, sqlite
from pybackend.maintenance.files import atomic_output
from pybackend.maintenance.postgresql import libpq
from pybackend.maintenance.progress import Progress, table_in
from pybackend.models import Item
from pybackend.services.editing import Draft, create_item, delete_item, update_item
from pybackend.services.search import search

from .databases import (
    assert_history_consistent,
    command,
    one_line_error,
    revision_checksums,
    run_module,
    table_rows,
    write_ini,
)

MAX_WRITES = 1000  # the writer stops by itself even if the test does not stop it
MARKER = re.compile(r"simpanan ke-(\d+)")


def snapshot(engine):
    with engine.connect() as connection:
        return table_rows(connection), revision_checksums(connection)


def texts(n, word="cadangan"):
    return {
        "id": {"title": "Python", "summary": f"Ringkasan {word}", "body": f"simpanan ke-{n}"},
        "en": {"title": "Python", "summary": f"Summary {word}", "body": f"save number {n}"},
    }


def save(session, item, n, word="cadangan"):
    """What the editors' form does: the loaded version, both texts, the links kept."""
    draft = Draft(fields={}, texts=texts(n, word), links=None, translation_current=True)
    update_item(session, item, item.version, draft, None, comment=f"save {n}")


def edit_some_content(engine):
    """A create, an update with links, a delete: the item the writer will keep saving."""
    with Session(engine) as session:
        topics = session.scalars(select(Item).where(Item.type == "topic").order_by(Item.slug))
        first, second, third = list(topics)[:3]
        created = create_item(
            session,
            "topic",
            Draft(
                fields={"slug": "cadangan", "kind": "library", "website": "", "package": ""},
                texts=texts(0),
                links=[{"target_id": first.id, "kind": "related_to"}],
            ),
            None,
            publish=True,
        )
        save(session, second, 0)
        delete_item(session, third, third.version, None)
        session.commit()
        return created.id


class Writer(threading.Thread):
    """Saves one item again and again, each save its own commit, and records the whole
    database after each: ``states[n]`` is the database after save n (0: before any)."""

    def __init__(self, engine, item_id):
        super().__init__(daemon=True)
        self.engine = engine
        self.item_id = item_id
        self.states = [snapshot(engine)]
        self.done = threading.Event()
        self.error = None

    def run(self):
        try:
            for n in range(1, MAX_WRITES + 1):
                if self.done.is_set():
                    return
                with Session(self.engine) as session:
                    save(session, session.get(Item, self.item_id), n)
                    session.commit()
                self.states.append(snapshot(self.engine))
                # An editor saving fast, not a busy loop: on two cores the backup must
                # get its share of them.
                time.sleep(0.01)
        except Exception as e:  # reported by the test
            self.error = e

    def saves(self):
        return len(self.states) - 1

    def stop(self):
        self.done.set()
        self.join(timeout=60)
        assert not self.is_alive()
        assert self.error is None, self.error


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def check_restored(engine, item_id, states, saved_before, saved_after):
    """The database is exactly one of the writer's moments, with every save that had
    committed before the backup started; returns which."""
    with Session(engine) as session:
        body = session.get(Item, item_id).texts["id"].body
    n = int(MARKER.search(body).group(1))
    assert saved_before <= n <= saved_after
    rows, checksums = snapshot(engine)
    # The restore moves the content generation past what any process has seen and asks
    # every process to drop its cached pages; everything else is the backup's moment.
    generation = rows.pop("content_state")[0][1]
    purge = rows["cache_tags"].pop(next(i for i, r in enumerate(rows["cache_tags"]) if r[0] == "*"))
    expected = dict(states[n][0])
    before = expected.pop("content_state")[0][1]
    expected["cache_tags"] = [r for r in expected["cache_tags"] if r[0] != "*"]
    assert generation > max(before, states[-1][0]["content_state"][0][1]) and purge[1] == generation
    assert rows == expected
    assert checksums == states[n][1]
    assert_history_consistent(engine)
    return n


def test_a_backup_while_an_editor_saves_restores_one_moment(databases, tmp_path):
    url = databases.new("drill", seeded=True)
    engine = databases.engine(url)
    item_id = edit_some_content(engine)
    ini = write_ini(tmp_path, url)
    backups = tmp_path / "backups"
    backups.mkdir()
    backup_file = backups / "site.backup"

    writer = Writer(engine, item_id)
    writer.start()
    wait_for(lambda: writer.saves() >= 3)
    saved_before = writer.saves()
    result = run_module("backup", ini, backup_file, "--quiet")
    saved_after = writer.saves()
    writer.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""
    assert saved_after > saved_before, "the editor saved nothing while the backup ran"
    assert os.listdir(backups) == ["site.backup"]  # and no temporary file

    # Over the database, which has moved on since: --force replaces all of it.
    databases.close()
    result = command("restore", ini, backup_file, "--force")
    assert result.returncode == 0, result.stderr
    assert "Restored" in result.stdout
    n = check_restored(engine, item_id, writer.states, saved_before, saved_after)

    # The disk is lost: into an empty database, no --force needed.
    databases.wipe(url)
    result = command("restore", ini, backup_file)
    assert result.returncode == 0, result.stderr
    engine = databases.engine(url)
    assert check_restored(engine, item_id, writer.states, saved_before, saved_after) == n

    # And the site works on from there: a save commits (sequences, constraints) and the
    # search index finds it.
    with Session(engine) as session:
        save(session, session.get(Item, item_id), n + 1, word="pemulihan")
        session.commit()
        hits = search(session, "pemulihan", "id").hits
        assert [hit.item.id for hit in hits] == [item_id]


class EditorBetweenSteps:
    """A progress callback that has the writer save between the backup API's steps."""

    def __init__(self, engine, item_id, saves):
        self.engine, self.item_id, self.left, self.steps = engine, item_id, saves, 0

    def pages(self, status, remaining, total):
        self.steps += 1
        assert self.steps < 10_000, "the backup keeps restarting"
        if self.left:
            with Session(self.engine) as session:
                save(session, session.get(Item, self.item_id), 100 + self.left)
                session.commit()
            self.left -= 1


def test_sqlite_backup_is_one_moment_across_its_steps(databases, backend, tmp_path, monkeypatch):
    if backend != "sqlite":
        pytest.skip("the backup API is SQLite's; pg_dump's snapshot is its own")
    url = databases.new("steps", seeded=True)
    engine = databases.engine(url)
    item_id = edit_some_content(engine)
    before = snapshot(engine)
    monkeypatch.setattr(sqlite, "STEP_PAGES", 16)
    editor = EditorBetweenSteps(engine, item_id, saves=5)
    output = tmp_path / "copy.sqlite"
    sqlite.dump(url, str(output), editor)
    assert editor.left == 0 and editor.steps > 5
    assert snapshot(engine) != before  # the saves did commit, meanwhile
    copy = databases.engine(f"sqlite:///{output}")
    assert snapshot(copy) == before


def mount_tmpfs(directory, size):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")


def test_a_backup_onto_a_full_disk_leaves_the_old_file_and_nothing_else(databases, tmp_path):
    url = databases.new("full", seeded=True)
    ini = write_ini(tmp_path, url)
    small = tmp_path / "small"
    small.mkdir()
    mount_tmpfs(small, "48k")  # the seeded database is 100 kB or more on either engine
    try:
        old = small / "site.backup"
        old.write_bytes(b"yesterday's backup")
        result = command("backup", ini, old)
        message = one_line_error(result, 1)
        assert "disk full" in message
        assert os.listdir(small) == ["site.backup"]
        assert old.read_bytes() == b"yesterday's backup"
    finally:
        subprocess.run(["umount", str(small)], check=True, timeout=30)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def test_a_failed_rename_removes_the_temporary_file(tmp_path):
    target = tmp_path / "site.backup"
    target.mkdir()  # os.replace cannot put a file over a directory
    (target / "inside").write_text("kept")
    with pytest.raises(MaintenanceError), atomic_output(str(target)) as temporary:
        write(temporary, b"a whole backup")
    assert os.listdir(tmp_path) == ["site.backup"]
    assert os.listdir(target) == ["inside"]


def test_a_failure_while_writing_removes_the_temporary_file(tmp_path):
    target = tmp_path / "site.backup"
    with pytest.raises(RuntimeError), atomic_output(str(target)) as temporary:
        write(temporary, b"half a backup")
        raise RuntimeError("the dump failed")
    assert os.listdir(tmp_path) == []


def test_bad_arguments_exit_2_with_one_line(databases, tmp_path):
    url = databases.new("args")
    ini = write_ini(tmp_path, url)
    assert "no such configuration file" in one_line_error(
        command("backup", tmp_path / "nope.ini", tmp_path / "b"), 2
    )
    assert "no such directory" in one_line_error(
        command("backup", ini, tmp_path / "nowhere" / "b"), 2
    )
    assert "is a directory" in one_line_error(command("backup", ini, tmp_path), 2)


def test_an_unreachable_database_is_one_line(tmp_path):
    ini = write_ini(tmp_path, "postgresql://nobody:secret-word@127.0.0.1:1/none")
    message = one_line_error(command("backup", ini, tmp_path / "b"))
    assert "127.0.0.1" in message
    assert "secret-word" not in message
    assert os.listdir(tmp_path) == ["app.ini"]


def test_progress_is_one_line_a_second_after_the_first_second():
    now = [0.0]
    lines = []

    class Stream:
        def write(self, text):
            lines.append(text)

        def flush(self):
            pass

    progress = Progress("backup", stream=Stream(), clock=lambda: now[0])
    for step in range(1, 31):
        now[0] = step * 0.25
        progress.pages(0, 300 - step * 10, 300)
    printed = [line for line in lines if line.strip()]
    assert printed == [
        "backup: 1 s, 13 % of 300 pages",
        "backup: 2 s, 26 % of 300 pages",
        "backup: 3 s, 40 % of 300 pages",
        "backup: 4 s, 53 % of 300 pages",
        "backup: 5 s, 66 % of 300 pages",
        "backup: 6 s, 80 % of 300 pages",
        "backup: 7 s, 93 % of 300 pages",
    ]
    quiet = Progress("backup", quiet=True, stream=Stream(), clock=lambda: now[0])
    now[0] += 10
    lines.clear()
    quiet.update("anything")
    assert lines == []


def test_progress_goes_on_while_a_tool_says_nothing():
    lines = []

    class Stream:
        def write(self, text):
            if text.strip():
                lines.append(text)

        def flush(self):
            pass

    progress = Progress("backup", stream=Stream(), interval=0.01)
    progress.update("table public.revisions")
    with progress.ticking():
        wait_for(lambda: len(lines) >= 2)
    assert all(line.endswith(", table public.revisions") for line in lines)


def test_the_password_goes_to_the_tools_in_the_environment_only():
    conninfo, env = libpq(
        "postgresql+psycopg://editor:p%40ss%3Aword@db.local:5433/site?sslmode=require"
    )
    assert conninfo == "postgresql://editor@db.local:5433/site?sslmode=require"
    assert env["PGPASSWORD"] == "p@ss:word"


def test_progress_names_the_table_pg_dump_and_pg_restore_reach():
    assert table_in('pg_dump: dumping contents of table "public.items"') == "public.items"
    assert table_in('pg_restore: processing data for table "public.revisions"') == (
        "public.revisions"
    )
    assert table_in("pg_dump: reading user-defined tables") is None
