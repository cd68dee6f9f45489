"""One maintenance task at a time per database: migrations and seed, or a restore.

PostgreSQL: a session-level advisory lock on a fixed key, taken on a connection of its
own and held for the whole task; if the process dies, the lock goes with its
connection. SQLite: an flock on a file beside the database (``site.sqlite.lock``),
which the kernel drops when the process ends. Neither blocks the application: its
readers and writers never take these locks.
"""

import contextlib
import fcntl
import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .sqlite import database_path

# Any fixed 64-bit key, the same in every process: "pyback" in ASCII.
ADVISORY_LOCK_KEY = 0x70796261636B


@contextlib.contextmanager
def maintenance_lock(url, on_wait=None):
    """Hold the database's maintenance lock; ``on_wait()`` is called if another task has it."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        with _advisory_lock(url, on_wait):
            yield
    elif backend == "sqlite" and make_url(url).database not in (None, "", ":memory:"):
        with _file_lock(database_path(url) + ".lock", on_wait):
            yield
    else:
        yield


@contextlib.contextmanager
def _advisory_lock(url, on_wait):
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            key = {"key": ADVISORY_LOCK_KEY}
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key):
                if on_wait is not None:
                    on_wait()
                connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
    finally:
        engine.dispose()


@contextlib.contextmanager
def _file_lock(path, on_wait):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing releases the lock. The file stays: removing it would let a third
        # process lock a new file while a second still waits on the old one.
        os.close(fd)
