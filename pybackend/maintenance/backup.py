"""What a backup holds, and putting it back: the work of pybackend-backup and -restore.

A backup is the database (SQLite: a copy made with the online backup API; PostgreSQL: a
pg_dump custom-format archive) and, beside it, the uploaded images (media.py), written
after it through the same atomic_output by the commands in scripts/.
"""

from dataclasses import dataclass

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from . import MaintenanceError, UsageError, postgresql, schema, sqlite
from .files import atomic_output, check_output_file, file_kind
from .lock import maintenance_lock

# Each engine module: dump(url, output, progress) -> revisions; staged(backup_file, url),
# a context giving the source to read_revisions(source) and restore(source, url,
# progress); first_table_with_rows(url).
ENGINES = {"sqlite": sqlite, "postgresql": postgresql}
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Restored:
    revisions: list  # the backup's schema revisions, now the database's
    heads: list  # this code's newest revisions
    needs_migration: bool


def engine_of(url):
    backend = make_url(url).get_backend_name()
    if backend not in ENGINES:
        raise UsageError(
            f"cannot back up or restore a {backend} database: only SQLite and PostgreSQL"
        )
    return backend


def public_url(url):
    """The database's address for messages: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def backup_database(url, output, progress):
    """Write a consistent copy of the database into ``output``; its schema revisions."""
    return ENGINES[engine_of(url)].dump(url, output, progress)


def create_backup(url, target, progress):
    """Write the backup file ``target`` whole, or leave no file (and any old one as it was).

    Returns the schema revisions it holds.
    """
    check_output_file(target)
    engine_of(url)
    with atomic_output(target) as output:
        return backup_database(url, output, progress)


def _refuse_unless_empty(url, force):
    table = ENGINES[engine_of(url)].first_table_with_rows(url)
    if table is not None and not force:
        raise MaintenanceError(
            f"the database already holds data (table {table} has rows): "
            "add --force to replace all of it with the backup"
        )


def check_backup_file(url, backup_file):
    """The backup's engine must be the database's."""
    kind, wanted = file_kind(backup_file), engine_of(url)
    if kind is None:
        raise MaintenanceError(
            f"{backup_file} is not a pybackend backup: neither a SQLite database nor a "
            "pg_dump custom-format archive"
        )
    if kind != wanted:
        raise MaintenanceError(
            f"{backup_file} is a {NAMES[kind]} backup and the database is {NAMES[wanted]}: "
            f"it can only be restored into a {NAMES[kind]} database"
        )
    return kind


def restore_database(url, backup_file, force, progress, on_wait=None):
    """Replace the database with the backup, all or nothing.

    Returns the backup's schema revisions and whether they need migrating to this code's.
    """
    engine = ENGINES[check_backup_file(url, backup_file)]
    # Refused early, before any copying; checked again under the lock below.
    _refuse_unless_empty(url, force)
    with engine.staged(backup_file, url) as source:
        revisions = engine.read_revisions(source)
        needs_migration = schema.check_backup(revisions)
        with maintenance_lock(url, on_wait):
            _refuse_unless_empty(url, force)
            before = _content_generation(url)
            engine.restore(source, url, progress)
            _generation_after(url, before)
    return revisions, needs_migration


def _content_generation(url):
    """The content generation the running processes have seen (0 when there is none)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if "content_state" not in inspect(connection).get_table_names():
                return 0
            return connection.scalar(text("SELECT generation FROM content_state")) or 0
    finally:
        engine.dispose()


def _generation_after(url, before):
    """Move the restored generation past every one the processes have seen, and purge.

    The backup's generation is older than the processes' view; edits after the restore
    would reuse numbers they think they have applied, and stay invisible to them.
    """
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            tables = set(inspect(connection).get_table_names())
            if "content_state" not in tables:
                return
            restored = connection.scalar(text("SELECT generation FROM content_state")) or 0
            generation = max(before, restored) + 1
            connection.execute(text("UPDATE content_state SET generation = :g"), {"g": generation})
            if "cache_tags" in tables:
                connection.execute(text("DELETE FROM cache_tags WHERE tag = '*'"))
                connection.execute(
                    text(
                        "INSERT INTO cache_tags (tag, generation, changed_at) "
                        "VALUES ('*', :g, CURRENT_TIMESTAMP)"
                    ),
                    {"g": generation},
                )
    finally:
        engine.dispose()


def restore_backup(url, backup_file, force, progress, on_wait=None):
    revisions, needs_migration = restore_database(url, backup_file, force, progress, on_wait)
    return Restored(revisions, schema.head_revisions(), needs_migration)
