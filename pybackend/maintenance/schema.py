"""A backup's schema revision against the migrations this code has."""

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError

from . import MaintenanceError

# Tables that the migrations themselves fill (the revision, the content generation, the
# default search aliases): rows there alone do not make a database "hold data" that a
# restore would need --force to replace. tests/scripts/test_restore.py restores into a
# freshly migrated database without --force, and so notices a migration that fills more.
FILLED_BY_MIGRATIONS = frozenset({"alembic_version", "content_state", "search_aliases"})


def script_directory():
    config = Config()
    config.set_main_option("script_location", "pybackend:alembic")
    return ScriptDirectory.from_config(config)


def head_revisions():
    return sorted(script_directory().get_heads())


def check_backup(revisions):
    """Refuse a backup this code cannot run; True when it must be migrated after restoring.

    ``revisions`` are the rows of the backup's alembic_version table.
    """
    script = script_directory()
    heads = sorted(script.get_heads())
    if not revisions:
        raise MaintenanceError(
            "the backup has no schema revision (no alembic_version row): "
            "it is not a pybackend database"
        )
    for revision in revisions:
        try:
            known = script.get_revision(revision) is not None
        except (RevisionError, CommandError):
            known = False
        if not known:
            raise MaintenanceError(
                f"the backup's schema (revision {revision}) is newer than this code's "
                f"({', '.join(heads)}) or unknown to it: restore it with the pybackend "
                "version that made it"
            )
    return sorted(revisions) != heads
