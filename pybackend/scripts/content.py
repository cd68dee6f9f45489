"""pybackend-content INI COMMAND: content chores that have no place in the web interface.

  list-trash                      list the items in the trash
  purge TYPE SLUG [--yes]         delete a trashed topic or example for good, with its
                                  texts, links and history; its slug becomes free

Only items already in the trash can be purged (delete them in the editors' area first).
Without --yes, purge asks for confirmation at a terminal, and refuses when standard
input is not a terminal.
"""

import argparse
import os
import sys

from pyramid.paster import bootstrap, setup_logging
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..models import Item
from ..services import audit, editing

PROG = "pybackend-content"
TYPES = {"topic": "topic", "topics": "topic", "example": "example", "examples": "example"}


class CommandError(Exception):
    """A refusal to explain to the user; the command exits non-zero."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("config_uri", help="configuration file, e.g. development.ini")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list-trash", help="list the items in the trash")
    purge = sub.add_parser("purge", help="delete a trashed item for good")
    purge.add_argument("type", choices=sorted(TYPES), metavar="TYPE", help="topic or example")
    purge.add_argument("slug")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser.parse_args(argv[1:])


def _title(item):
    text = item.text("id")
    return text.title if text else ""


def list_trash(dbsession, out):
    items = list(
        dbsession.scalars(
            select(Item).where(Item.deleted_at.is_not(None)).order_by(Item.type, Item.slug)
        )
    )
    for item in items:
        deleted = item.deleted_at.strftime("%Y-%m-%d %H:%M")
        print(f"{item.type}\t{item.slug}\t{deleted}\t{_title(item)}", file=out)
    if not items:
        print("The trash is empty.", file=out)


def confirm(item, stdin, out):
    """Ask at a terminal; never read a confirmation from a pipe."""
    if not stdin.isatty():
        raise CommandError("standard input is not a terminal: refusing to purge without --yes")
    print(
        f"Purge {item.type} {item.slug!r} ({_title(item)}) for good, with its texts, links "
        "and whole history? This cannot be undone.",
        file=out,
    )
    print(f"Type the slug ({item.slug}) to confirm: ", end="", file=out, flush=True)
    answer = stdin.readline().strip()
    if answer != item.slug:
        raise CommandError("not confirmed; nothing was purged")


def purge(dbsession, item_type, slug, yes=False, stdin=None, out=None):
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    item_type = TYPES[item_type]
    item = dbsession.scalars(select(Item).where(Item.type == item_type, Item.slug == slug)).first()
    if item is None:
        raise CommandError(f"no {item_type} with the slug {slug!r}")
    if item.deleted_at is None:
        raise CommandError(
            f"{item_type} {slug!r} is not in the trash; delete it in the editors' area first"
        )
    if not yes:
        confirm(item, stdin, out)
    audit.record(dbsession, "content.purge", username="(command line)", obj=item, slug=item.slug)
    editing.purge_item(dbsession, item)
    print(f"Purged {item_type} {slug!r}; the slug is free again.", file=out)


def run(args, dbsession, stdin=None, out=None):
    if args.command == "list-trash":
        list_trash(dbsession, out or sys.stdout)
    else:
        purge(dbsession, args.type, args.slug, yes=args.yes, stdin=stdin, out=out)


def main(argv=sys.argv):
    args = parse_args(argv)
    if not os.path.exists(args.config_uri):
        sys.exit(f"{PROG}: no such configuration file: {args.config_uri}")
    setup_logging(args.config_uri)
    env = bootstrap(args.config_uri)
    try:
        with env["request"].tm:
            run(args, env["request"].dbsession)
    except CommandError as error:
        sys.exit(f"{PROG}: {error}")
    except (OperationalError, ProgrammingError) as error:
        sys.exit(f"{PROG}: cannot use the database (run initialize_pybackend_db?): {error.orig}")
    except KeyboardInterrupt:
        sys.exit(f"{PROG}: interrupted; nothing was purged")
    finally:
        env["closer"]()


if __name__ == "__main__":
    main()
