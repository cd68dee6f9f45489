"""pybackend-restore: what it refuses leaves the database as it was; an older backup comes
back at its own revision, for initialize_pybackend_db to migrate."""

import os
import sqlite3
import subprocess

import pytest
from sqlalchemy import func, select, text

from pybackend.maintenance.postgresql import libpq
from pybackend.maintenance.schema import head_revisions
from pybackend.models import Item
from pybackend.services.seed import read_seed

from .databases import (
    command,
    migrate,
    one_line_error,
    table_rows,
    write_ini,
)

SEED = read_seed()
SEED_ITEMS = len(SEED["topic"]) + len(SEED["example"])


def rows(databases, url):
    with databases.engine(url).connect() as connection:
        return table_rows(connection)


def seeded(databases, tmp_path, name, backup=True):
    """A seeded database, its ini, and a backup of it (or None)."""
    url = databases.new(name, seeded=True)
    ini = write_ini(tmp_path, url, name=f"{name}.ini")
    if not backup:
        return url, ini, None
    backup_file = tmp_path / f"{name}.backup"
    result = command("backup", ini, backup_file)
    assert result.returncode == 0, result.stderr
    return url, ini, backup_file


def fake_newer_backup(databases, backup_file):
    """Rewrite the backup's alembic_version as a newer pybackend's backup would have it."""
    if databases.backend == "sqlite":
        connection = sqlite3.connect(backup_file)
        with connection:
            connection.execute("UPDATE alembic_version SET version_num = 'ffffffff'")
        connection.close()
        return
    # pg_dump archives cannot be edited: dump a database that says so.
    source = databases.new("newer_source", seeded=True)
    with databases.engine(source).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffff'"))
    pg_dump(source, backup_file)


def pg_dump(url, backup_file):
    conninfo, env = libpq(url)
    subprocess.run(
        ["pg_dump", "-Fc", f"--file={backup_file}", f"--dbname={conninfo}"],
        check=True,
        env=env,
        timeout=60,
    )


def test_a_database_that_holds_data_needs_force(databases, tmp_path):
    url, ini, backup_file = seeded(databases, tmp_path, "held")
    with databases.engine(url).begin() as connection:
        connection.execute(text("UPDATE item_texts SET title = 'diubah' WHERE id = 1"))
    before = rows(databases, url)
    message = one_line_error(command("restore", ini, backup_file))
    assert "already holds data" in message and "--force" in message
    assert rows(databases, url) == before


def test_a_backup_of_a_newer_schema_is_refused_even_with_force(databases, tmp_path):
    url, ini, backup_file = seeded(databases, tmp_path, "newer")
    fake_newer_backup(databases, backup_file)
    before = rows(databases, url)
    message = one_line_error(command("restore", ini, backup_file, "--force"))
    assert "ffffffff" in message and "newer" in message
    assert rows(databases, url) == before


def test_the_other_engines_backup_is_refused(databases, backend, tmp_path):
    url, ini, _none = seeded(databases, tmp_path, "kind", backup=False)
    if backend == "sqlite":
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("a pg_dump archive needs PostgreSQL (TEST_DATABASE_URL)")
        other = tmp_path / "other.backup"
        pg_dump(os.environ["TEST_DATABASE_URL"], other)
        expected = "is a PostgreSQL backup and the database is SQLite"
    else:
        other = tmp_path / "other.sqlite"
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
        expected = "is a SQLite backup and the database is PostgreSQL"
    before = rows(databases, url)
    assert expected in one_line_error(command("restore", ini, other, "--force"))
    assert rows(databases, url) == before


def test_what_is_not_a_backup_is_refused(databases, tmp_path):
    url, ini, _none = seeded(databases, tmp_path, "junk", backup=False)
    before = rows(databases, url)
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n")
    assert "is not a pybackend backup" in one_line_error(command("restore", ini, junk, "--force"))
    missing = tmp_path / "missing.backup"
    assert "no such file" in one_line_error(command("restore", ini, missing), 2)
    assert "is a directory" in one_line_error(command("restore", ini, tmp_path), 2)
    assert "no such configuration file" in one_line_error(
        command("restore", tmp_path / "nope.ini", junk), 2
    )
    assert rows(databases, url) == before


def test_a_damaged_backup_changes_nothing(databases, tmp_path):
    url, ini, backup_file = seeded(databases, tmp_path, "damaged")
    with databases.engine(url).begin() as connection:
        connection.execute(text("UPDATE item_texts SET title = 'diubah' WHERE id = 1"))
    before = rows(databases, url)
    whole = backup_file.read_bytes()
    # Cut in the middle of the data: the header (and pg_dump's table of contents) intact.
    backup_file.write_bytes(whole[: len(whole) * 2 // 3])
    message = one_line_error(command("restore", ini, backup_file, "--force"))
    assert "damaged" in message or "nothing was changed" in message
    assert rows(databases, url) == before


def test_an_older_backup_comes_back_at_its_revision_for_init_to_migrate(databases, tmp_path):
    # A database of revision 0003: before the accounts, revisions and audit tables.
    old = databases.new("old")
    migrate(databases.engine(old), "0003")
    old_ini = write_ini(tmp_path, old, name="old.ini")
    backup_file = tmp_path / "old.backup"
    assert command("backup", old_ini, backup_file).returncode == 0

    # Into a database of the newest schema, migrated but never seeded: empty, so no
    # --force; its newer tables must go, or the migration after would trip over them.
    url = databases.new("target")
    migrate(databases.engine(url))
    ini = write_ini(tmp_path, url)
    result = command("restore", ini, backup_file)
    assert result.returncode == 0, result.stderr
    assert f"older than this code's {head_revisions()[0]}" in result.stdout
    assert "initialize_pybackend_db" in result.stdout
    with databases.engine(url).connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0003"
    databases.close()

    result = command("initialize_db", ini)
    assert result.returncode == 0, result.stderr
    assert f"from 0003 to {head_revisions()[0]}" in result.stdout
    assert f"Loaded {SEED_ITEMS} seed items" in result.stdout
    with databases.engine(url).connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Item)) == SEED_ITEMS
