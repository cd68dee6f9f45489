"""initialize_pybackend_db INI: migrate to head, then seed an empty database. Safe to rerun."""

import argparse
import os
import sys

from alembic import command
from alembic.config import Config
from pyramid.paster import bootstrap, get_appsettings, setup_logging
from sqlalchemy.exc import OperationalError

from ..config import database_url
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


def main(argv=sys.argv):
    args = parse_args(argv)
    if not os.path.exists(args.config_uri):
        sys.exit(f"initialize_pybackend_db: no such configuration file: {args.config_uri}")
    setup_logging(args.config_uri)
    ensure_sqlite_directory(database_url(get_appsettings(args.config_uri)))
    try:
        migrate(args.config_uri)
        if args.no_seed:
            return
        env = bootstrap(args.config_uri)
        try:
            with env["request"].tm:
                dbsession = env["request"].dbsession
                if is_empty(dbsession):
                    items = load_seed(dbsession)
                    print(f"Loaded {len(items)} seed items.")
                else:
                    print("The database has content already; seed not loaded.")
            # Pages missing from the store, or made by other templates (a new release).
            rendered = render_pages(env["registry"], quiet=True)
            if rendered:
                print(f"Rendered the pages of {rendered} items.")
        finally:
            env["closer"]()
    except OperationalError as e:
        sys.exit(f"initialize_pybackend_db: cannot use the database: {e.orig}")
