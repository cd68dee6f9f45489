"""pybackend-restore INI FILE: replace the database with a pybackend-backup file.

Refuses a backup of a newer schema than this code's, a backup of the other engine,
and a database that holds data, unless --force. The replacement is all or nothing:
SQLite through the online backup API in one write transaction, PostgreSQL through
pg_restore's script applied by psql in one transaction. Exit status 0 done, 1 failed
(the database unchanged), 2 bad arguments.
"""

import argparse
import sys

from ..maintenance.backup import public_url, restore_backup
from ..maintenance.cli import database_from, image_dir_from, run
from ..maintenance.media import archive_path, check_images, restore_images
from ..maintenance.progress import Progress

PROGRAM = "pybackend-restore"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__)
    parser.add_argument("config_uri", help="configuration file, e.g. production.ini")
    parser.add_argument("file", help="a file written by pybackend-backup")
    parser.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return parser.parse_args(argv[1:])


def restore(args):
    url = database_from(args.config_uri)
    progress = Progress("restore", quiet=args.quiet)

    def waiting():
        if not args.quiet:
            print(f"{PROGRAM}: another restore or initialize_pybackend_db is running; waiting")

    image_dir = image_dir_from(args.config_uri)
    check_images(image_dir, args.file)  # a bad archive is refused before anything changes
    outcome = restore_backup(url, args.file, args.force, progress, on_wait=waiting)
    added = restore_images(image_dir, args.file)
    revision = ", ".join(outcome.revisions)
    if not args.quiet:
        print(f"Restored {args.file} into {public_url(url)} in {progress.elapsed():.1f} s.")
        print(f"Added {added} images from {archive_path(args.file)}.")
        print("Restart the application's processes, so that none serves pages cached before.")
    if outcome.needs_migration:
        # Said even with --quiet: the site cannot run until it is done.
        print(
            f"The backup's schema is {revision}, older than this code's "
            f"{', '.join(outcome.heads)}: run `initialize_pybackend_db {args.config_uri}` "
            "to migrate it."
        )
    elif not args.quiet:
        print(f"The schema is at this code's newest revision ({revision}).")


def main(argv=sys.argv):
    args = parse_args(argv)
    run(PROGRAM, lambda: restore(args))


if __name__ == "__main__":
    main()
