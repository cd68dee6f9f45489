"""pybackend-backup INI FILE: a consistent copy of the database, safe while the site runs.

SQLite is copied with the online backup API, PostgreSQL with pg_dump -Fc; the uploaded
images go into FILE.images.tar beside it. FILE is
written under a temporary name, fsynced and renamed: it is complete or absent (an old
FILE stays as it was). Exit status 0 done, 1 failed, 2 bad arguments.
"""

import argparse
import os
import sys

from ..maintenance.backup import create_backup, public_url
from ..maintenance.cli import database_from, image_dir_from, run
from ..maintenance.media import archive_path, backup_images
from ..maintenance.progress import Progress

PROGRAM = "pybackend-backup"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__)
    parser.add_argument("config_uri", help="configuration file, e.g. production.ini")
    parser.add_argument("file", help="the backup file to write (replaced if it exists)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return parser.parse_args(argv[1:])


def backup(args):
    url = database_from(args.config_uri)
    progress = Progress("backup", quiet=args.quiet)
    revisions = create_backup(url, args.file, progress)
    # After the database: every image a backed-up row names is already on disk.
    count = backup_images(image_dir_from(args.config_uri), args.file)
    if not args.quiet:
        print(f"Backed up {count} images to {archive_path(args.file)}.")
        size = os.path.getsize(args.file) / 1e6
        print(
            f"Backed up {public_url(url)} (schema {', '.join(revisions) or 'none'}) "
            f"to {args.file}: {size:.1f} MB in {progress.elapsed():.1f} s."
        )


def main(argv=sys.argv):
    args = parse_args(argv)
    run(PROGRAM, lambda: backup(args))


if __name__ == "__main__":
    main()
