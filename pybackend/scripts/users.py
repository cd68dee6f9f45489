"""pybackend-user INI COMMAND: manage editor and administrator accounts.

  add NAME --role admin|editor   create an account (asks for the password)
  passwd NAME                    set a new password (ends the user's sessions)
  list                           list accounts
  disable NAME / enable NAME     lock or unlock an account
  reset-2fa NAME                 remove a lost second factor and its recovery codes (the
                                 user logs in with the password alone, and must enrol
                                 again when the site requires it); ends their sessions
  cleanup                        remove expired sessions and old login attempts now (every
                                 successful login does it too, so no cron is needed)

The password is asked twice at a terminal, and read from standard input otherwise
(one line), so scripts can pipe it in.
"""

import argparse
import getpass
import os
import sys

from pyramid.paster import bootstrap, setup_logging
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..models import User
from ..models.user import ROLES
from ..services import accounts, audit, sessions, two_factor


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="pybackend-user", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("config_uri", help="configuration file, e.g. development.ini")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    for name in ("passwd", "disable", "enable", "reset-2fa"):
        sub.add_parser(name).add_argument("name")
    sub.add_parser("list", help="list accounts")
    sub.add_parser("cleanup", help="remove expired sessions and old login attempts")
    return parser.parse_args(argv[1:])


def read_password(stdin=None):
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise accounts.AccountError("the two passwords differ")
        return first
    line = stdin.readline()
    if not line:
        raise accounts.AccountError("no password on standard input")
    return line.rstrip("\r\n")


def _message(error, request):
    return request.localizer.translate(error.args[0]) if error.args else str(error)


def run(args, request):
    dbsession = request.dbsession
    if args.command == "cleanup":
        accounts.remove_expired(dbsession)
        print("Removed expired sessions and old login attempts.")
        return
    if args.command == "list":
        for user in dbsession.scalars(select(User).order_by(User.username)):
            state = "disabled" if user.disabled_at else "active"
            print(f"{user.username}\t{user.role}\t{state}")
        return
    if args.command == "add":
        user = accounts.create_user(dbsession, args.name, read_password(), args.role)
        audit.record(
            dbsession,
            "user.create",
            obj=user,
            username="(command line)",
            role=user.role,
            target=user.username,
        )
        print(f"Created {user.role} {user.username}.")
        return
    user = accounts.get_user(dbsession, args.name)
    if user is None:
        raise accounts.AccountError(f"no such user: {args.name}")
    if args.command == "passwd":
        accounts.set_password(dbsession, user, read_password())
        audit.record(
            dbsession, "user.password", obj=user, username="(command line)", target=user.username
        )
        print(f"Password changed for {user.username}; their sessions were ended.")
    elif args.command == "reset-2fa":
        if not two_factor.disable(dbsession, user, action="2fa.reset", by_command_line=True):
            raise accounts.AccountError(f"{user.username} has no second factor")
        sessions.revoke_all(dbsession, user)
        print(f"Second factor removed for {user.username}; their sessions were ended.")
    else:
        accounts.set_disabled(dbsession, user, args.command == "disable")
        audit.record(
            dbsession,
            f"user.{args.command}",
            obj=user,
            username="(command line)",
            target=user.username,
        )
        print(f"{user.username} is now {args.command}d.")


def main(argv=sys.argv):
    args = parse_args(argv)
    if not os.path.exists(args.config_uri):
        sys.exit(f"pybackend-user: no such configuration file: {args.config_uri}")
    setup_logging(args.config_uri)
    env = bootstrap(args.config_uri)
    # Messages from the services are translated; at the command line, in English.
    env["request"].environ["PATH_INFO"] = "/en/"
    try:
        with env["request"].tm:
            run(args, env["request"])
    except accounts.AccountError as error:
        sys.exit(f"pybackend-user: {_message(error, env['request'])}")
    except (OperationalError, ProgrammingError) as error:
        sys.exit(
            f"pybackend-user: cannot use the database (run initialize_pybackend_db?): {error.orig}"
        )
    except KeyboardInterrupt:
        sys.exit("pybackend-user: interrupted")
    finally:
        env["closer"]()
