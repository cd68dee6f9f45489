"""SQLite: backups through the online backup API, restores through a checked private copy."""

import contextlib
import os
import shutil
import sqlite3
import urllib.parse

from sqlalchemy.engine import make_url

from . import MaintenanceError, UsageError
from .files import disk_error, remove_quietly, temporary_beside
from .schema import FILLED_BY_MIGRATIONS

# Pages copied per step of the backup API (4 MiB with the default 4 KiB pages): the
# progress callback runs between steps.
STEP_PAGES = 1024
# Seconds to wait for the application's writers to let go of the write lock.
BUSY_TIMEOUT = 30


def database_path(url):
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise UsageError("the database is in memory: there is nothing on disk to back up")
    return os.path.abspath(database)


def _connect(path, create=False):
    # mode=rw never creates a file: a mistyped path is an error, not a new empty database.
    mode = "rwc" if create else "rw"
    uri = f"file:{urllib.parse.quote(path)}?mode={mode}"
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT)


def _error(error, path, output=None):
    """One line for a SQLite error about ``path``, or a full disk under ``output``."""
    if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return MaintenanceError(f"disk full: cannot write {output or path}")
    return MaintenanceError(f"SQLite: {error} ({path})")


def _check(connection, name):
    """A backup that SQLite cannot read whole is refused before anything is replaced."""
    try:
        result = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise MaintenanceError(f"{name} is damaged or not a database: {e}") from None
    if result != "ok":
        raise MaintenanceError(f"{name} is damaged: {result}")


def read_revisions(connection):
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:
        return []
    return [row[0] for row in rows]


def dump(url, output, progress):
    """Copy the database at ``url`` into the file ``output``; returns its schema revisions.

    The copy is one snapshot although the application goes on writing: the read
    transaction held across the steps pins it (WAL lets writers commit meanwhile).
    Without it, every commit elsewhere would restart the copy, for ever under steady
    writes.
    """
    path = database_path(url)
    if not os.path.isfile(path):
        raise UsageError(f"no SQLite database at {path}")
    try:
        source = _connect(path)
    except sqlite3.Error as e:
        raise _error(e, path) from None
    try:
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        copy = sqlite3.connect(output, isolation_level=None)
        try:
            source.backup(copy, pages=STEP_PAGES, progress=progress.pages)
            # A self-contained file: a rollback journal, so no -wal beside the copy.
            copy.execute("PRAGMA journal_mode=DELETE").fetchone()
            _check(copy, output)
            return read_revisions(copy)
        finally:
            copy.close()
    except sqlite3.DatabaseError as e:
        raise _error(e, path, output) from None
    finally:
        source.close()


@contextlib.contextmanager
def staged(backup_file, url):
    """A connection to a private, checked copy of ``backup_file`` beside the database.

    Restoring from a copy leaves the operator's backup untouched (SQLite writes to a
    database it opens, if only its journal mode); the copy is removed afterwards.
    """
    directory = os.path.dirname(database_path(url))
    os.makedirs(directory, exist_ok=True)
    stage = temporary_beside(os.path.join(directory, "restore"), suffix=".sqlite")
    try:
        try:
            shutil.copyfile(backup_file, stage)
        except OSError as e:
            raise disk_error(e, stage) from None
        connection = sqlite3.connect(stage, isolation_level=None)
        try:
            _check(connection, backup_file)
            yield connection
        finally:
            connection.close()
    finally:
        remove_quietly(stage)


def _tables(connection):
    rows = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    for name, _sql in rows:
        # A virtual table's rows live in real tables; its shadow tables always hold some.
        if name.startswith("sqlite_") or any(name.startswith(v) for v in virtual):
            continue
        yield name


def first_table_with_rows(url):
    """A table of the database that holds rows (those migrations fill aside), or None."""
    path = database_path(url)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    try:
        connection = _connect(path)
        try:
            for name in _tables(connection):
                quoted = name.replace('"', '""')
                query = f'SELECT 1 FROM "{quoted}" LIMIT 1'  # noqa: S608 (a quoted identifier)
                if name not in FILLED_BY_MIGRATIONS and connection.execute(query).fetchone():
                    return name
        finally:
            connection.close()
    except sqlite3.DatabaseError as e:
        raise MaintenanceError(f"cannot read the database {path}: {e}") from None
    return None


def restore(stage, url, progress):
    """Copy the staged backup over the database, all or nothing.

    The backup API holds one write transaction on the target across all its steps:
    the application's readers see the old database until the last step commits, and a
    failure (a full disk, an interrupt) rolls the whole copy back.
    """
    path = database_path(url)
    try:
        target = _connect(path, create=True)
    except sqlite3.Error as e:
        raise _error(e, path) from None
    try:
        stage.backup(target, pages=STEP_PAGES, progress=progress.pages)
    except sqlite3.DatabaseError as e:
        raise _error(e, path) from None
    finally:
        target.close()
