"""initialize_pybackend_db INI: migrate to head, then seed an empty database. Safe to rerun.

Two runs at once (two deploy hooks, two containers starting) take turns: the second
waits for the first's maintenance lock (pybackend/maintenance/lock.py), then finds the
schema current and the content there, and says that there was nothing to do.
"""

import argparse
import os
import sys

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from pyramid.paster import bootstrap, get_appsettings, setup_logging
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..config import database_url
from ..maintenance.lock import maintenance_lock
from ..services.seed import is_empty, load_seed
from .content import render_pages


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_uri", help="Configuration file, e.g. development.ini")
    parser.add_argument(
        "--no-seed", action="store_true", help="only run the migrations, load no content"
    )
    return parser.parse_args(argv[1:])


def ensure_sqlite_directory(url):
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)


def migrate(config_uri):
    alembic_cfg = Config(config_uri)
    command.upgrade(alembic_cfg, "head")


def schema_revisions(url):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return sorted(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def seed(config_uri, migrated):
    env = bootstrap(config_uri)
    try:
        with env["request"].tm:
            dbsession = env["request"].dbsession
            if is_empty(dbsession):
                items = load_seed(dbsession)
                print(f"Loaded {len(items)} seed items.")
            elif migrated:
                print("The database has content already; seed not loaded.")
            else:
                print(
                    "Nothing to do: the schema is at the newest revision and the database "
                    "has content already; seed not loaded."
                )
        # Pages missing from the store, or made by other templates (a new release).
        background = env["registry"].get("pybackend.background_renderer")
        if background is not None:
            background.wait()  # the seed's pages, rendered after its commit
        rendered = render_pages(env["registry"], quiet=True)
        if rendered:
            print(f"Rendered the pages of {rendered} items.")
    finally:
        env["closer"]()


def initialize(args, url):
    before = schema_revisions(url)
    migrate(args.config_uri)
    after = schema_revisions(url)
    if after != before:
        print(f"Migrated the schema from {', '.join(before) or 'nothing'} to {', '.join(after)}.")
    if args.no_seed:
        if after == before:
            print("Nothing to do: the schema is at the newest revision.")
        return
    seed(args.config_uri, migrated=after != before)


def waiting():
    print(
        "Another initialize_pybackend_db or pybackend-restore is working on this database; "
        "waiting for it to finish.",
        flush=True,
    )


def main(argv=sys.argv):
    args = parse_args(argv)
    if not os.path.exists(args.config_uri):
        sys.exit(f"initialize_pybackend_db: no such configuration file: {args.config_uri}")
    setup_logging(args.config_uri)
    url = database_url(get_appsettings(args.config_uri))
    ensure_sqlite_directory(url)
    try:
        # Held across the migrations and the seed: a second run waits here, then finds
        # nothing to do, instead of creating the same tables at the same time.
        with maintenance_lock(url, on_wait=waiting):
            initialize(args, url)
    except SQLAlchemyError as e:
        reason = getattr(e, "orig", None) or e
        sys.exit(f"initialize_pybackend_db: cannot use the database: {reason}")


if __name__ == "__main__":
    main()
