"""pybackend-content INI COMMAND: content chores that have no place in the web interface.

  list-trash                      list the items in the trash
  purge TYPE SLUG [--yes]         delete a trashed topic or example for good, with its
                                  texts, links and history; its slug becomes free
  render [--all] [--jobs N]       store the rendered pages of every public item that has
                                  none from the current templates (after a deploy, a bulk
                                  import, or an edit whose pages were too many to render
                                  at once); --all renders every item again
  publish-due                     apply every publish or unpublish time that is due (the
                                  site's processes do it by themselves within about a
                                  second; this is for a timer, e.g. every minute)
  update-seed [--dry-run]         add the bundled seed items the site lacks, bring the
                                  items nobody edited to the new seed text, and list the
                                  edited ones, which are left as they are

Only items already in the trash can be purged (delete them in the editors' area first).
Without --yes, purge asks for confirmation at a terminal, and refuses when standard
input is not a terminal.
"""

import argparse
import os
import sys
import time

import transaction
from pyramid.paster import bootstrap, setup_logging
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..models import Item, get_tm_session
from ..services import audit, editing, pages, schedule, seed

PROG = "pybackend-content"
RENDER_BATCH = 200
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
    render = sub.add_parser("render", help="store the rendered pages of public items")
    render.add_argument("--all", action="store_true", help="render every public item again")
    render.add_argument("--jobs", type=int, default=1, help="processes to render with")
    render.add_argument("--quiet", action="store_true", help="no progress lines")
    sub.add_parser("publish-due", help="apply the publish and unpublish times that are due")
    update = sub.add_parser("update-seed", help="add new seed content to a running site")
    update.add_argument("--dry-run", action="store_true", help="report, change nothing")
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


def update_seed(dbsession, dry_run=False, data=None, out=None):
    """Run services.seed.update_seed and print what it did (or would do)."""
    out = out or sys.stdout
    report = seed.update_seed(dbsession, data=data, dry_run=dry_run)
    verb = "would be " if dry_run else ""
    for label, names in (
        (f"{verb}added", report.added),
        (f"{verb}updated (nobody had edited them)", report.updated),
        ("kept: edited since the seed, left as they are", report.kept),
    ):
        for name in names:
            print(f"{label}: {name}", file=out)
    print(
        f"{len(report.added)} {verb}added, {len(report.updated)} {verb}updated, "
        f"{len(report.unchanged)} unchanged, {len(report.kept)} kept"
        + (" (dry run: nothing was changed)" if dry_run else ""),
        file=out,
    )
    return report


def run(args, dbsession, stdin=None, out=None):
    if args.command == "list-trash":
        list_trash(dbsession, out or sys.stdout)
    elif args.command == "update-seed":
        update_seed(dbsession, dry_run=args.dry_run, out=out)
    else:
        purge(dbsession, args.type, args.slug, yes=args.yes, stdin=stdin, out=out)


def render_pages(registry, every=False, jobs=1, job=0, quiet=False, out=None):
    """Store the pages of public items (missing or from other templates); returns the count.

    Batches of items, one transaction each, so a long run can be stopped and resumed.
    With ``jobs`` > 1 each job takes the items whose id modulo ``jobs`` is ``job``.
    """
    out = out or sys.stderr
    factory = registry["dbsession_factory"]
    renderer = registry["pybackend.renderer"]
    after, done, started = 0, 0, time.monotonic()
    while True:
        with transaction.manager:
            dbsession = get_tm_session(factory)
            ids = pages.missing_items(
                dbsession, after, RENDER_BATCH, None if every else renderer.build, jobs, job
            )
            if not ids:
                break
            pages.render_items(dbsession, renderer, ids)
        after, done = ids[-1], done + len(ids)
        if not quiet:
            rate = done / max(time.monotonic() - started, 1e-6)
            print(f"render: {done} items ({rate:.0f}/s), up to id {after}", file=out, flush=True)
    return done


def _render_job(config_uri, every, jobs, job, quiet):
    env = bootstrap(config_uri)
    try:
        return render_pages(env["registry"], every, jobs, job, quiet)
    finally:
        env["closer"]()


def render(config_uri, args):
    if args.jobs < 1 or args.jobs > 16:
        raise CommandError("--jobs takes a number from 1 to 16")
    if args.jobs == 1:
        env = bootstrap(config_uri)
        try:
            done = render_pages(env["registry"], args.all, quiet=args.quiet)
        finally:
            env["closer"]()
    else:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            done = sum(
                pool.starmap(
                    _render_job,
                    [
                        (config_uri, args.all, args.jobs, job, args.quiet)
                        for job in range(args.jobs)
                    ],
                )
            )
    print(f"Rendered the pages of {done} items.")


def publish_due(config_uri, out=None):
    """Apply the due schedules through the app's own sessions (pages, feeds, search follow)."""
    env = bootstrap(config_uri)
    try:
        registry = env["registry"]
        done = schedule.publish_due(registry["dbsession_factory"])
        background = registry.get("pybackend.background_renderer")
        if background is not None:
            background.wait()
    finally:
        env["closer"]()
    print(f"Applied {done} due schedules.", file=out or sys.stdout)
    return done


def main(argv=sys.argv):
    args = parse_args(argv)
    if not os.path.exists(args.config_uri):
        sys.exit(f"{PROG}: no such configuration file: {args.config_uri}")
    setup_logging(args.config_uri)
    if args.command == "publish-due":
        try:
            publish_due(args.config_uri)
        except (OperationalError, ProgrammingError) as error:
            sys.exit(
                f"{PROG}: cannot use the database (run initialize_pybackend_db?): {error.orig}"
            )
        return
    if args.command == "render":
        try:
            render(args.config_uri, args)
        except CommandError as error:
            sys.exit(f"{PROG}: {error}")
        except (OperationalError, ProgrammingError) as error:
            sys.exit(
                f"{PROG}: cannot use the database (run initialize_pybackend_db?): {error.orig}"
            )
        except KeyboardInterrupt:
            sys.exit(f"{PROG}: interrupted; the pages rendered so far are stored")
        return
    env = bootstrap(args.config_uri)
    try:
        with env["request"].tm:
            run(args, env["request"].dbsession)
    except CommandError as error:
        sys.exit(f"{PROG}: {error}")
    except (OperationalError, ProgrammingError) as error:
        sys.exit(f"{PROG}: cannot use the database (run initialize_pybackend_db?): {error.orig}")
    except KeyboardInterrupt:
        sys.exit(f"{PROG}: interrupted; nothing was changed")
    finally:
        background = env["registry"].get("pybackend.background_renderer")
        if background is not None:
            background.wait()  # the pages that linked to a purged item
        env["closer"]()


if __name__ == "__main__":
    main()
