"""pybackend-config NAME: print a starting configuration file, for a deployment from the wheel.

``pybackend-config production > /etc/pybackend/production.ini`` writes the production.ini
that ships inside the package (pybackend/ini/); ``--base-url`` and ``--allowed-hosts`` fill
in the two settings every site must change.
"""

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

NAMES = ("production",)


def shipped_ini(name):
    """The text of ``NAME.ini``: the package's copy, or the source tree's in a checkout."""
    packaged = resources.files("pybackend").joinpath(f"ini/{name}.ini")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install (make .venv/.installed) reads the file at the top of the tree.
    source = Path(__file__).resolve().parents[2] / f"{name}.ini"
    return source.read_text(encoding="utf-8")


def set_option(text, option, value):
    """Replace the first ``option = ...`` line; the file must have one."""
    pattern = re.compile(rf"^{re.escape(option)}\s*=.*$", re.MULTILINE)
    if not pattern.search(text):
        raise ValueError(f"no {option} line")
    return pattern.sub(lambda _: f"{option} = {value}", text, count=1)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="pybackend-config", description=__doc__)
    parser.add_argument("name", choices=NAMES, help="which configuration")
    parser.add_argument("--base-url", help="pybackend.base_url, e.g. https://guide.example")
    parser.add_argument(
        "--allowed-hosts", help='pybackend.allowed_hosts, e.g. "guide.example www.guide.example"'
    )
    return parser.parse_args(argv[1:])


def main(argv=sys.argv):
    args = parse_args(argv)
    text = shipped_ini(args.name)
    if args.base_url:
        if not re.match(r"^https?://[^\s/]+$", args.base_url.rstrip("/")):
            sys.exit("pybackend-config: --base-url must look like https://host[:port]")
        text = set_option(text, "pybackend.base_url", args.base_url.rstrip("/"))
    if args.allowed_hosts:
        text = set_option(text, "pybackend.allowed_hosts", " ".join(args.allowed_hosts.split()))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
