"""python -m bench.run: load pybackend (waitress, production.ini) with wrk, beside a Pyramid hello.

For each size a fresh database is migrated and seeded (``initialize_pybackend_db``), filled
with ``pybackend-generate`` when the size is larger than the seed, and served by
``pserve production.ini`` in a subprocess. wrk drives each scenario at each connection count;
the req/s are compared with ``bench/hello.py`` served with the same ``[server:main]``
settings in the same run. Results: a table on stdout, JSON in ``bench-results/``.

SQLite always; PostgreSQL only with --postgresql-url (or BENCH_DATABASE_URL), on a
database that is empty or was made by this bench (it refuses anything else, exit 2).

Targets are reported, never asserted: the exit status is 0 unless the benchmark itself
breaks (1), or wrk is missing / the arguments are wrong / the database is not the bench's (2).
"""

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .databases import POSTGRES_SCHEMES, ForeignDatabase, claim_database, postgres_version
from .report import (
    machine_info,
    print_measurements,
    print_table,
    print_targets,
    write_results,
)
from .scenarios import FIRST_REQUEST_TIMEOUT, scenario_names
from .servers import BenchError, log
from .sizes import Bench
from .targets import evaluate_targets

BUDGET_S = 15 * 60
DEFAULT_SIZES = [12, 100_000]


def int_list(value):
    try:
        numbers = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers: {value!r}") from None
    if not numbers or any(n < 1 for n in numbers):
        raise argparse.ArgumentTypeError(f"expected positive integers: {value!r}")
    return numbers


def name_list(value):
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = sorted(set(names) - set(scenario_names()))
    if not names or unknown:
        known = ", ".join(scenario_names())
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or value!r}; known: {known}"
        )
    return names


def postgresql_url(value):
    if not value.startswith(POSTGRES_SCHEMES):
        raise argparse.ArgumentTypeError(f"not a PostgreSQL URL: {value!r}")
    return value


def parse_args(argv, environ=None):
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--sizes",
        type=int_list,
        default=DEFAULT_SIZES,
        help="topic counts (default 12,100000; up to 13 = the seed alone)",
    )
    add("--connections", type=int_list, default=[10, 50], help="wrk connections (default 10,50)")
    add("--duration", type=int, default=None, help="seconds per wrk run (default 3; --quick 2)")
    add(
        "--runs",
        type=int,
        default=None,
        help="wrk runs of each judged figure, median kept (default 3; --quick 1)",
    )
    add("--quick", action="store_true", help="2 s runs, no wrk warm-up, one run of each")
    add(
        "--baseline-runs",
        type=int,
        default=1,
        help="runs of the first hello measurement, alone (median; default 1)",
    )
    add(
        "--scenarios",
        type=name_list,
        default=None,
        help=f"run only these (comma-separated): {', '.join(scenario_names())}",
    )
    add(
        "--first-request-timeout",
        type=float,
        default=FIRST_REQUEST_TIMEOUT,
        help=f"seconds the first (uncached) request of a scenario may take "
        f"(default {FIRST_REQUEST_TIMEOUT})",
    )
    add("--out", default="bench-results", help="directory for the JSON results")
    add(
        "--postgresql-url",
        type=postgresql_url,
        default=None,
        help="also run every size on this PostgreSQL database (default: $BENCH_DATABASE_URL); "
        "it must be empty or made by the bench: its pybackend tables are dropped",
    )
    add("--sqlite-only", action="store_true", help="ignore --postgresql-url and BENCH_DATABASE_URL")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 2 if args.quick else 3
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be between 1 and 120 seconds")
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if not 1 <= args.runs <= 9:
        parser.error("--runs must be between 1 and 9")
    if not 1 <= args.baseline_runs <= 9:
        parser.error("--baseline-runs must be between 1 and 9")
    if args.postgresql_url is None and environ.get("BENCH_DATABASE_URL"):
        try:
            args.postgresql_url = postgresql_url(environ["BENCH_DATABASE_URL"])
        except argparse.ArgumentTypeError as error:
            parser.error(f"BENCH_DATABASE_URL: {error}")
    if args.sqlite_only:
        args.postgresql_url = None
    args.sizes = sorted(set(args.sizes))
    args.connections = sorted(set(args.connections))
    args.scenarios = set(args.scenarios or scenario_names())
    return args


def backends_of(args):
    """[(name, url)]: SQLite (a file per size, url None here), then PostgreSQL if given."""
    backends = [("sqlite", None)]
    if args.postgresql_url:
        backends.append(("postgresql", args.postgresql_url))
    return backends


def check_postgresql(url):
    """Exit status 2 and why, before anything runs, if the database is not the bench's."""
    try:
        state = claim_database(url)
    except ForeignDatabase as error:
        print(
            f"bench: refusing to use the PostgreSQL database: {error}.\n"
            "Nothing in it was changed. Give --postgresql-url an empty database made for "
            "the bench (e.g. createdb pybackend_bench), or one an earlier bench run used.",
            file=sys.stderr,
        )
        return 2
    except Exception as error:  # cannot connect, no such database, bad credentials
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"bench: cannot use the PostgreSQL database: {reason}", file=sys.stderr)
        return 2
    log(
        f"PostgreSQL database {'empty: marked' if state == 'empty' else 'made by the bench'}; "
        "its pybackend tables are dropped and recreated for each size."
    )
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if os.environ.get("DATABASE_URL"):
        log("DATABASE_URL is ignored: PostgreSQL runs only with --postgresql-url.")
    if args.postgresql_url and (status := check_postgresql(args.postgresql_url)):
        return status
    if shutil.which("wrk") is None:
        print(
            "bench: wrk is not installed. Install it with:\n"
            "    apt-get update && apt-get install -y wrk\n"
            "(`make bench` does this for you when run as root.)",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    backends = backends_of(args)
    workdir = Path(tempfile.mkdtemp(prefix="pybackend-bench-"))
    bench = Bench(args, workdir)
    try:
        pg = postgres_version(args.postgresql_url) if args.postgresql_url else None
        machine = machine_info(pg)
        log(
            f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), "
            f"{machine['memory_mb']} MB, Python {machine['python']}, SQLite {machine['sqlite']}"
            + (f", PostgreSQL {pg}" if pg else "")
            + f", {machine['wrk']}"
        )
        log(
            f"Server settings (production.ini [server:main]): threads="
            f"{bench.inis.settings.get('threads')}, connection_limit="
            f"{bench.inis.settings.get('connection_limit')}"
        )
        bench.start_hello()
        for backend, url in backends:
            for size in args.sizes:
                sqlite_file = workdir / f"size-{size}.sqlite"
                bench.run_size(backend, size, url or f"sqlite:///{sqlite_file}")
                for path in workdir.glob(f"size-{size}.sqlite*"):
                    path.unlink()
        bench.finish()
        baseline = [*bench.baseline.values(), *bench.baseline_304.values()]
        targets = evaluate_targets(
            bench.rows, bench.sizes, baseline, bench.measurements, bench.writers
        )
        elapsed = time.monotonic() - started
        machine["loadavg_at_end"] = os.getloadavg()
        log("")
        print_table(baseline, bench.rows)
        print_measurements(bench.measurements, bench.writers)
        print_targets(targets)
        payload = {
            "started_at": started_at.isoformat(),
            "elapsed_s": round(elapsed, 1),
            "machine": machine,
            "config": {
                "sizes": args.sizes,
                "connections": args.connections,
                "duration_s": args.duration,
                "quick": args.quick,
                "baseline_runs": args.baseline_runs,
                "runs": args.runs,
                "scenarios": sorted(args.scenarios),
                "wrk": "wrk -t1 -c<connections> -d<duration> --timeout 5s --latency "
                "-H 'Host: localhost'",
                "server_main": bench.inis.settings,
                "backends": [name for name, _ in backends],
            },
            "baseline": baseline,
            "results": bench.rows,
            "measurements": bench.measurements,
            "writers": bench.writers,
            "servers": bench.sizes,
            "targets": targets,
        }
        path = write_results(Path(args.out), payload)
        log(f"\nResults: {path} (and {Path(args.out) / 'latest.json'})")
        log(f"Elapsed: {elapsed / 60:.1f} min ({elapsed:.0f} s)")
        if elapsed > BUDGET_S:
            load = machine["loadavg_at_end"]
            log(
                f"Note: over the {BUDGET_S // 60}-minute budget; load average at the end "
                f"{load[0]:.1f} on {machine['nproc']} CPUs (see servers[].generate_output)."
            )
        return 0
    except BenchError as e:
        print(f"\nbench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 1
    finally:
        bench.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
