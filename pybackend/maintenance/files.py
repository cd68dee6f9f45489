"""Files written whole or not at all, and telling a backup's kind from its first bytes."""

import contextlib
import errno
import os
import tempfile

from . import MaintenanceError, UsageError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"  # pg_dump's custom format (-Fc)

# What SQLite may leave beside a database file it wrote.
SQLITE_SIDECARS = ("", "-journal", "-wal", "-shm")


def remove_quietly(path):
    for suffix in SQLITE_SIDECARS:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def fsync_path(path, directory=False):
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def disk_error(error, path):
    """An OSError as the one line an operator needs."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return MaintenanceError(f"disk full: cannot write {path}")
    return MaintenanceError(f"cannot write {path}: {error.strerror or error}")


def temporary_beside(target, suffix=".tmp"):
    """A new empty file in ``target``'s directory, readable by its owner only."""
    directory = os.path.dirname(os.path.abspath(target))
    try:
        fd, path = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=suffix, dir=directory
        )
    except OSError as e:
        raise disk_error(e, target) from None
    os.close(fd)
    return path


@contextlib.contextmanager
def atomic_output(target):
    """Yield a temporary path beside ``target``; when the block succeeds it becomes ``target``.

    The file is fsynced before the rename and the directory after it, so after a crash
    ``target`` is either what it was before or the complete new file. On any failure
    the temporary file (and any journal SQLite left beside it) is removed and
    ``target`` is left as it was.
    """
    temporary = temporary_beside(target)
    try:
        yield temporary
        fsync_path(temporary)
        os.replace(temporary, target)
    except BaseException as e:
        remove_quietly(temporary)
        if isinstance(e, OSError):
            raise disk_error(e, target) from None
        raise
    fsync_path(os.path.dirname(os.path.abspath(target)), directory=True)


def check_output_file(path):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"no such directory: {directory}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory: name the backup file to write")


def file_kind(path):
    """'sqlite', 'postgresql' (a pg_dump -Fc archive) or None, after checking it is readable."""
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory, not a backup file")
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as e:
        raise MaintenanceError(f"cannot read {path}: {e.strerror or e}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None
