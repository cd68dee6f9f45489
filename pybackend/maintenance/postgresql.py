"""PostgreSQL: pg_dump's custom format for a backup; pg_restore's script, applied by
psql inside one transaction, for a restore.

The password goes to the tools in PGPASSWORD, never on their command line (where any
local user could read it) and never into a message.
"""

import contextlib
import io
import os
import re
import shutil
import subprocess
import threading

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from . import MaintenanceError
from .progress import table_in
from .schema import FILLED_BY_MIGRATIONS

MAX_ERROR_LINES = 5
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) \S+$")


def libpq(url):
    """A libpq connection URL without the password, and an environment carrying it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    # URL.set(password=None) would keep the password: None there means "unchanged".
    conninfo = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return conninfo.render_as_string(hide_password=False), env


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise MaintenanceError(
            f"{name} not found: install the PostgreSQL client tools (Debian: postgresql-client) "
            "of the server's major version or newer"
        )
    return path


def _scrub(message, url):
    password = make_url(url).password
    return message.replace(str(password), "***") if password else message


class _Stderr:
    """Reads a tool's stderr: table lines feed the progress, error lines are kept."""

    def __init__(self, stream, progress):
        self.errors = []
        self._thread = threading.Thread(target=self._read, args=(stream, progress), daemon=True)
        self._thread.start()

    def _read(self, stream, progress):
        for line in stream:
            line = line.rstrip("\n")
            table = table_in(line)
            if table is not None:
                progress.update(f"table {table}")
            elif ("error" in line.lower() or "fatal" in line.lower()) and len(
                self.errors
            ) < MAX_ERROR_LINES:
                self.errors.append(line)

    def message(self, tool, url):
        self._thread.join()
        if not self.errors:
            return f"{tool} failed"
        # "pg_dump: error: connection to server ... failed: FATAL: ..." -> one short line.
        first = re.sub(r"^(pg_dump|pg_restore|psql)(:\S*)?: (error: )?", "", self.errors[0])
        if "No space left on device" in first:
            return f"disk full: {tool}: {first}"
        return _scrub(f"{tool}: {first}", url)


def _popen(args, env, **kwargs):
    # The tools' paths come from shutil.which, their arguments from our own settings.
    return subprocess.Popen(args, env=env, stderr=subprocess.PIPE, **kwargs)  # noqa: S603


def dump(url, output, progress):
    """pg_dump the database into ``output``; returns the dump's schema revisions.

    pg_dump reads everything in one repeatable-read transaction: one snapshot, while
    the application goes on writing.
    """
    conninfo, env = libpq(url)
    args = [_tool("pg_dump"), "--format=custom", "--verbose", f"--file={output}"]
    process = _popen([*args, f"--dbname={conninfo}"], env, stdout=subprocess.DEVNULL, text=True)
    stderr = _Stderr(process.stderr, progress)
    with progress.ticking():
        failed = process.wait() != 0
    if failed:
        raise MaintenanceError(stderr.message("pg_dump", url))
    return read_revisions(output)


def _pg_restore(*args):
    result = subprocess.run(  # noqa: S603 (as _popen)
        [_tool("pg_restore"), *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()] or ["failed"]
        reason = re.sub(r"^pg_restore: (error: )?", "", lines[0])
        raise MaintenanceError(f"{args[-1]} is damaged or not a pg_dump archive: {reason}")
    return result.stdout


def read_revisions(backup_file):
    """The rows of the archive's alembic_version table (none when it has no such table)."""
    script = _pg_restore("--data-only", "--table=alembic_version", "--file=-", backup_file)
    revisions, inside = [], False
    for line in script.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            inside = True
        elif inside and line == "\\.":
            inside = False
        elif inside:
            revisions.append(line.strip())
    return revisions


def tables_in(backup_file):
    """(schema, table) of every table the archive creates."""
    listing = _pg_restore("--list", backup_file)
    return {match.groups() for match in map(_TOC_TABLE.match, listing.splitlines()) if match}


def _engine(url):
    return create_engine(url, poolclass=NullPool)


def _user_tables(connection):
    rows = connection.execute(
        text(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
            "ORDER BY schemaname, tablename"
        )
    )
    return [tuple(row) for row in rows]


def _quote(connection, schema, table):
    preparer = connection.dialect.identifier_preparer
    return f"{preparer.quote_identifier(schema)}.{preparer.quote_identifier(table)}"


def first_table_with_rows(url):
    """A table of the database that holds rows (those migrations fill aside), or None."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            for schema, table in _user_tables(connection):
                if table in FILLED_BY_MIGRATIONS:
                    continue
                name = _quote(connection, schema, table)
                query = f"SELECT 1 FROM {name} LIMIT 1"  # noqa: S608 (quoted identifiers)
                if connection.execute(text(query)).first():
                    return f"{schema}.{table}"
    except SQLAlchemyError as e:
        raise MaintenanceError(_scrub(f"cannot use the database: {e.orig or e}", url)) from None
    finally:
        engine.dispose()
    return None


def _preamble(url, backup_file):
    """BEGIN, then drop the tables the archive will not recreate.

    pg_restore --clean drops only what the archive holds; a table that a newer
    migration added would stay behind and break the next upgrade.
    """
    keep = tables_in(backup_file)
    schemas = {schema for schema, _table in keep} | {"public"}
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            extra = [
                _quote(connection, schema, table)
                for schema, table in _user_tables(connection)
                if schema in schemas and (schema, table) not in keep
            ]
    except SQLAlchemyError as e:
        raise MaintenanceError(_scrub(f"cannot use the database: {e.orig or e}", url)) from None
    finally:
        engine.dispose()
    drops = "".join(f"DROP TABLE IF EXISTS {name} CASCADE;\n" for name in extra)
    return f"BEGIN;\nSET client_min_messages = warning;\n{drops}"


def staged(backup_file, url):
    """pg_restore reads the archive itself: the source is the file."""
    return contextlib.nullcontext(backup_file)


def restore(backup_file, url, progress):
    """Replace the database's tables with the archive's, all or nothing.

    pg_restore writes the SQL script (--clean --if-exists: drop, then create); psql
    applies it after our BEGIN and stops at the first error (ON_ERROR_STOP). COMMIT
    is sent only once pg_restore has written the whole archive: if it fails halfway
    (a truncated file), psql reaches the end of its input inside the transaction and
    the server rolls it all back. The archives pg_dump makes of this application hold
    no large objects, the one thing pg_restore would wrap in a transaction of its own.
    """
    conninfo, env = libpq(url)
    preamble = _preamble(url, backup_file)
    psql = _popen(
        [_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={conninfo}"],
        env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    psql_errors = _Stderr(_text(psql.stderr), progress)
    script = _popen(
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
        + ["--verbose", "--file=-", backup_file],
        env,
        stdout=subprocess.PIPE,
    )
    script_errors = _Stderr(_text(script.stderr), progress)
    completed = False
    try:
        psql.stdin.write(preamble.encode())
        with progress.ticking():
            shutil.copyfileobj(script.stdout, psql.stdin, 1 << 16)
        completed = script.wait() == 0
        if completed:
            psql.stdin.write(b"COMMIT;\n")
    except BrokenPipeError:
        pass  # psql stopped at an error: its message says which
    finally:
        if script.poll() is None:
            script.kill()  # psql failed first: the rest of the script is of no use
        script.wait()
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()
        psql_ok = psql.wait() == 0
    if not psql_ok:
        raise MaintenanceError(psql_errors.message("psql", url) + "; nothing was changed")
    if not completed:
        raise MaintenanceError(script_errors.message("pg_restore", url) + "; nothing was changed")


def _text(stream):
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
