"""Databases of their own for the command-line tests: fresh, migrated, seeded, compared.

Each test gets an empty database (a SQLite file, or a PostgreSQL database created
beside TEST_DATABASE_URL's and dropped afterwards), so that wiping and restoring never
touch the suite's shared database.
"""

import contextlib
import hashlib
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import alembic.command
import alembic.config
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from pybackend import models
from pybackend.models import Item, Revision
from pybackend.models.meta import Base
from pybackend.services.seed import load_seed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTING_INI = os.path.join(ROOT, "testing.ini")
PROGRESS_LINE = re.compile(r"^(backup|restore): \d+ s, ")


def app_settings_for(ini_file, url, image_dir):
    """The app's settings from ``ini_file``, on the database at ``url``."""
    from pyramid.paster import get_appsettings

    settings = dict(get_appsettings(ini_file))
    settings["sqlalchemy.url"] = url
    settings["pybackend.image_dir"] = str(image_dir)
    return settings


def write_ini(directory, url, name="app.ini"):
    """testing.ini with its database replaced by ``url``."""
    with open(TESTING_INI) as f:
        source = f.read()
    ini = directory / name
    ini.write_text(
        source.replace(
            "sqlalchemy.url = sqlite:///%(here)s/var/test.sqlite", f"sqlalchemy.url = {url}"
        )
    )
    return ini


def run_module(module, *args, timeout=120):
    """``python -m pybackend.scripts.MODULE ARGS`` without DATABASE_URL; the CompletedProcess."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", f"pybackend.scripts.{module}", *map(str, args)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
    )


def command(module, *args):
    """``pybackend.scripts.MODULE.main`` run in this process, as the console script would be.

    Returns what a CompletedProcess would: returncode, stdout, stderr.
    """
    main = importlib.import_module(f"pybackend.scripts.{module}").main
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([module, *map(str, args)])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def one_line_error(result, code=1):
    """The command failed with ``code`` and said why in one line, without a traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    # A slow run may have shown progress lines ("restore: 1 s, table public.items") first.
    lines = [line for line in result.stderr.splitlines() if not PROGRESS_LINE.match(line)]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


class Databases:
    """Makes databases for one test and drops them when it ends.

    ``template()`` is the URL of a seeded database to copy (PostgreSQL: CREATE DATABASE
    ... TEMPLATE, a file copy on the server), so that seeding costs once per session.
    """

    def __init__(self, backend, directory, template=None):
        self.backend = backend
        self.directory = directory
        self.template = template
        self.created = []
        self.engines = []

    def _admin(self, *statements):
        admin = create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            admin.dispose()

    @staticmethod
    def _drop(database):
        """End this role's sessions on ``database`` (an app's pool the test left open),
        then drop it. Not DROP ... WITH (FORCE): that refuses when an autovacuum worker
        is there, which a plain DROP DATABASE stops by itself."""
        return (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
            f"datname = '{database}' AND usename = current_user AND pid <> pg_backend_pid()",
            f'DROP DATABASE IF EXISTS "{database}"',
        )

    def new(self, name, seeded=False):
        """The URL of a new database called ``name``: empty, or seeded."""
        if self.backend == "sqlite":
            path = self.directory / f"{name}.sqlite"
            if seeded:
                shutil.copyfile(make_url(self.template()).database, path)
            return f"sqlite:///{path}"
        base = make_url(os.environ["TEST_DATABASE_URL"])
        database = f"{base.database}_{name}"
        template = f' TEMPLATE "{make_url(self.template()).database}"' if seeded else ""
        try:
            self._admin(*self._drop(database), f'CREATE DATABASE "{database}"{template}')
        except ProgrammingError as e:
            pytest.skip(f"the test role cannot create databases: {e.orig}")
        self.created.append(database)
        return base.set(database=database).render_as_string(hide_password=False)

    def engine(self, url):
        engine = models.get_engine({"sqlalchemy.url": url})
        self.engines.append(engine)
        return engine

    def wipe(self, url):
        """Gone, as after losing the disk: the file removed, or the database dropped and
        created again."""
        self.close()
        if self.backend == "sqlite":
            path = make_url(url).database
            for suffix in ("", "-wal", "-shm", "-journal"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            return
        database = make_url(url).database
        self._admin(*self._drop(database), f'CREATE DATABASE "{database}"')

    def close(self):
        for engine in self.engines:
            engine.dispose()
        self.engines.clear()

    def drop_all(self):
        self.close()
        if self.created:
            self._admin(*(sql for database in self.created for sql in self._drop(database)))


def migrate(engine, revision="head"):
    config = alembic.config.Config(TESTING_INI)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic.command.upgrade(config, revision)


def initialize(engine):
    """As initialize_pybackend_db does: the newest schema and the seed."""
    migrate(engine)
    with Session(engine) as session:
        load_seed(session)
        session.commit()


def _value(value):
    # JSON columns come back as dicts: compare them in one canonical spelling.
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def table_rows(connection):
    """Every row of every table, in primary-key order, and the schema revision."""
    rows = {
        table.name: [
            tuple(_value(v) for v in row)
            for row in connection.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in Base.metadata.sorted_tables
    }
    rows["alembic_version"] = sorted(
        connection.scalars(text("SELECT version_num FROM alembic_version"))
    )
    return rows


def revision_checksums(connection):
    """sha256 of each revision's data, by revision id."""
    return {
        revision_id: hashlib.sha256(
            json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        for revision_id, data in connection.execute(select(Revision.id, Revision.data))
    }


def assert_history_consistent(engine):
    """Each item's newest revision is of its current version and holds its current texts."""
    with Session(engine) as session:
        for item in session.scalars(select(Item)):
            newest = session.scalars(
                select(Revision).where(Revision.item_id == item.id).order_by(Revision.number.desc())
            ).first()
            assert newest is not None, item.slug
            assert newest.item_version == item.version, item.slug
            for lang, item_text in item.texts.items():
                stored = newest.data["texts"][lang]
                assert (stored["title"], stored["summary"], stored["body"]) == (
                    item_text.title,
                    item_text.summary,
                    item_text.body,
                ), (item.slug, lang)
