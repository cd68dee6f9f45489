"""Operators' tasks on the database: backup, restore, and the lock they share with
initialize_pybackend_db.

backup.py is the entry point of both commands; sqlite.py and postgresql.py hold what
each engine needs, files.py the atomic writing, schema.py the revision checks, lock.py
the one-task-at-a-time lock.
"""


class MaintenanceError(Exception):
    """A failure the commands report as one line; ``exit_code`` 1 (2 for bad arguments)."""

    exit_code = 1


class UsageError(MaintenanceError):
    """The command line names something that is not there or cannot be used."""

    exit_code = 2
