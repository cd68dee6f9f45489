"""pybackend-config NAME: print a starting configuration file, for a deployment from the wheel.

``pybackend-config production > /etc/pybackend/production.ini`` writes the production.ini
that ships inside the package (pybackend/ini/); ``--base-url`` and ``--allowed-hosts`` fill
in the two settings every site must change. The files of the source tree's deploy/ ship
too (``pybackend-config --list``): the nginx site, the systemd unit, the environment
file. Their ``@NAME@`` placeholders are filled with ``--set NAME=VALUE``; ``@STATIC_ROOT@``
is the installed package's static directory. A placeholder left unfilled is an error.
"""

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

ALIASES = {"production": "production.ini"}
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


def _source_tree():
    # An editable install (make .venv/.installed) reads the files at the top of the tree.
    return Path(__file__).resolve().parents[2]


def shipped_names():
    packaged = resources.files("pybackend").joinpath("ini")
    if packaged.is_dir():
        return sorted(entry.name for entry in packaged.iterdir() if entry.is_file())
    root = _source_tree()
    return ["production.ini", *sorted(p.name for p in (root / "deploy").iterdir())]


def shipped_file(name):
    """The text of a shipped file: the package's copy, or the source tree's in a checkout."""
    name = ALIASES.get(name, name)
    if name not in shipped_names():
        raise LookupError(name)
    packaged = resources.files("pybackend").joinpath(f"ini/{name}")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    root = _source_tree()
    path = root / name if name == "production.ini" else root / "deploy" / name
    return path.read_text(encoding="utf-8")


def static_root():
    return str(resources.files("pybackend").joinpath("static"))


def set_option(text, option, value):
    """Replace the first ``option = ...`` line; the file must have one."""
    pattern = re.compile(rf"^{re.escape(option)}\s*=.*$", re.MULTILINE)
    if not pattern.search(text):
        raise ValueError(f"no {option} line")
    return pattern.sub(lambda _: f"{option} = {value}", text, count=1)


def fill_placeholders(text, values):
    """Every ``@NAME@`` outside comments replaced; the names still missing are returned."""
    missing = set()

    def fill(line):
        if line.lstrip().startswith("#"):
            return line
        return PLACEHOLDER.sub(lambda m: values.get(m[1]) or missing.add(m[1]) or m[0], line)

    filled = "".join(fill(line) for line in text.splitlines(keepends=True))
    return filled, sorted(missing)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="pybackend-config", description=__doc__)
    parser.add_argument("name", nargs="?", help="which file (production, or see --list)")
    parser.add_argument("--list", action="store_true", help="list the files and exit")
    parser.add_argument("--base-url", help="pybackend.base_url, e.g. https://guide.example")
    parser.add_argument(
        "--allowed-hosts", help='pybackend.allowed_hosts, e.g. "guide.example www.guide.example"'
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fill the placeholder @NAME@ (repeatable)",
    )
    args = parser.parse_args(argv[1:])
    if not args.list and not args.name:
        parser.error("name a file, or use --list")
    return args


def main(argv=sys.argv):
    args = parse_args(argv)
    if args.list:
        print("\n".join(shipped_names()))
        return 0
    try:
        text = shipped_file(args.name)
    except LookupError:
        sys.exit(
            f"pybackend-config: no file {args.name!r}; one of: production, "
            + ", ".join(shipped_names())
        )
    if args.base_url:
        if not re.match(r"^https?://[^\s/]+$", args.base_url.rstrip("/")):
            sys.exit("pybackend-config: --base-url must look like https://host[:port]")
        text = set_option(text, "pybackend.base_url", args.base_url.rstrip("/"))
    if args.allowed_hosts:
        text = set_option(text, "pybackend.allowed_hosts", " ".join(args.allowed_hosts.split()))
    values = {"STATIC_ROOT": static_root()}
    for pair in args.set:
        name, sep, value = pair.partition("=")
        if not sep or not PLACEHOLDER.fullmatch(f"@{name}@"):
            sys.exit(f"pybackend-config: --set takes NAME=VALUE, not {pair!r}")
        values[name] = value
    text, missing = fill_placeholders(text, values)
    if missing:
        sys.exit(
            f"pybackend-config: {args.name} needs "
            + " ".join(f"--set {name}=..." for name in missing)
        )
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
