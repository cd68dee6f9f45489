"""python -m bench.run: load pybackend (waitress, production.ini) with wrk, beside a Pyramid hello.

For each size a fresh database is migrated and seeded (``initialize_pybackend_db``), filled
with ``pybackend-generate`` when the size is larger than the seed, and served by
``pserve production.ini`` in a subprocess. wrk drives each scenario at each connection count;
the req/s are compared with ``bench/hello.py`` served with the same ``[server:main]``
settings in the same run. Results: a table on stdout, JSON in ``bench-results/``.

Targets are reported, never asserted: the exit status is 0 unless the benchmark itself
breaks (1), or wrk is missing / the arguments are wrong (2).
"""

import argparse
import configparser
import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRODUCTION_INI = ROOT / "production.ini"
HOST = "127.0.0.1"
HOST_HEADER = "localhost"
# The seed has 13 items (10 topics, 3 examples): sizes up to that load the seed alone.
SEED_ITEMS = 13

# (name, path, conditional): conditional requests carry the page's ETag in If-None-Match.
SCENARIOS = (
    ("home", "/", False),
    ("topic", "/topics/django", False),
    ("topic_304", "/topics/django", True),
    ("list", "/topics", False),
    ("search", "/search?q=framework", False),
    # A different name on every request (see SEARCH_NAMES_LUA): page-cache misses.
    ("search_names", "/search?q=kazen", False),
    ("api_topic", "/api/v1/topics/django", False),
)

TARGETS = {
    "topic": 0.5,  # topic page req/s >= 0.5 x hello
    "topic_304": 0.8,  # 304 req/s >= 0.8 x hello
    "search_p99_ms": 50.0,  # at the largest size (>= 100 000), one connection
    "size_drift": 0.2,  # home/list/topic at the largest size within 20 % of the smallest
    "rss_mb": 150.0,
}

SERVER_START_TIMEOUT = 90
# A page whose first (uncached) rendering takes longer is recorded as failed, not loaded:
# the server is restarted, as its threads may still be busy with it.
FIRST_REQUEST_TIMEOUT = 60
SUBPROCESS_TIMEOUT = 900
# 100 000 topics: ~30 s of inserts, then the search index rebuild (Markdown to text and
# FTS5 for 240 000 documents) takes minutes on an idle 2-core machine, far more on a busy one.
GENERATE_TIMEOUT = 2700
BUDGET_S = 15 * 60


# wrk script for "search_names": each request searches a random two-syllable prefix of
# the generator's names, alternately in Indonesian and English, so nearly every request
# misses the page cache and measures the search itself.
SEARCH_NAMES_LUA = """
local syllables = {%s}
local n = 0
math.randomseed(os.time())
request = function()
  n = n + 1
  local q = syllables[math.random(#syllables)] .. syllables[math.random(#syllables)]
  local prefix = (n %% 2 == 0) and "/en" or ""
  return wrk.format("GET", prefix .. "/search?q=" .. q)
end
"""
WRK_SCRIPTS = {"search_names": "search_names.lua"}
# wrk is closed-loop: at c connections p50 is about c / throughput, the queue, whatever one
# search costs. The search target is judged at one connection, where p99 is the service
# time; 10 and 50 connections show throughput under load.
LATENCY_SCENARIOS = ("search", "search_names")
LATENCY_CONNECTIONS = 1
# The figures the targets judge are the median of --runs wrk runs (hello beside each size
# too): one 5 s run moved by +-30 % with whatever else the machine did, enough to flip a
# ratio target from one run to the next. The other rows (throughput of searches and the
# API under load) are one run each, to stay within the 15-minute budget.
RATIO_SCENARIOS = ("home", "topic", "topic_304", "list")


def median_run(results, key="rps"):
    """The run in the middle by ``key``; the others' req/s and p99 are kept beside it."""
    ordered = sorted(results, key=lambda r: r[key])
    middle = dict(ordered[len(ordered) // 2])
    middle["rps_runs"] = [r["rps"] for r in results]
    middle["p99_runs"] = [r["p99_ms"] for r in results]
    # An error in any run counts: the median run alone could hide one.
    middle["errors"] = sum(r["errors"] for r in results)
    return middle


class BenchError(Exception):
    """The benchmark itself broke (not a missed target)."""


class ScenarioStuck(Exception):
    """The first request of a scenario did not come back in FIRST_REQUEST_TIMEOUT."""


class ServerDied(ScenarioStuck):
    """The server process ended during a scenario (a crash): recorded, then restarted."""


def log(message=""):
    print(message, flush=True)


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------


def int_list(value):
    try:
        numbers = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers: {value!r}") from None
    if not numbers or any(n < 1 for n in numbers):
        raise argparse.ArgumentTypeError(f"expected positive integers: {value!r}")
    return numbers


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        type=int_list,
        default=[12, 1000, 100000],
        help="topic counts (default 12,1000,100000; up to 13 = the seed alone)",
    )
    parser.add_argument(
        "--connections", type=int_list, default=[10, 50], help="wrk connections (default 10,50)"
    )
    parser.add_argument(
        "--duration", type=int, default=None, help="seconds per wrk run (default 3; --quick 2)"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="wrk runs of each ratio and latency measurement, median kept (default 3; --quick 1)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 s runs, no wrk warm-up, one baseline run"
    )
    parser.add_argument(
        "--baseline-runs",
        type=int,
        default=None,
        help="runs of the first hello measurement (median; default 2)",
    )
    parser.add_argument(
        "--first-request-timeout",
        type=float,
        default=FIRST_REQUEST_TIMEOUT,
        help=f"seconds the first (uncached) request of a scenario may take "
        f"(default {FIRST_REQUEST_TIMEOUT})",
    )
    parser.add_argument("--out", default="bench-results", help="directory for the JSON results")
    parser.add_argument(
        "--sqlite-only",
        action="store_true",
        help="ignore DATABASE_URL (otherwise a PostgreSQL DATABASE_URL is benchmarked too)",
    )
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 2 if args.quick else 3
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be between 1 and 120 seconds")
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if not 1 <= args.runs <= 9:
        parser.error("--runs must be between 1 and 9")
    if args.baseline_runs is None:
        args.baseline_runs = 1 if args.quick else 2
    args.sizes = sorted(set(args.sizes))
    args.connections = sorted(set(args.connections))
    return args


# ---------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------


def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_info(pg_url=None):
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.M)
    info = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu.group(1).strip() if cpu else platform.processor(),
        "memory_mb": int(mem.group(1)) // 1024 if mem else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version(),
        "loadavg_at_start": os.getloadavg(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }
    if pg_url:
        info["postgresql"] = postgres_version(pg_url)
    return info


def _git(*args):
    try:
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def wrk_version():
    try:
        result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = (result.stdout or result.stderr).strip().splitlines()
    return line[0] if line else None


def postgres_version(url):
    from sqlalchemy import create_engine, text

    from pybackend.config import normalize_database_url

    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SHOW server_version"))
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------
# Ini files and ports
# ---------------------------------------------------------------------------


def server_settings(ini_text):
    parser = configparser.RawConfigParser()
    parser.read_string(ini_text)
    return dict(parser.items("server:main"))


def rewrite_ini(ini_text, listen=None, app_use=None):
    """production.ini with another ``listen`` and/or another app (the server section kept)."""
    out = []
    section = None
    for line in ini_text.splitlines():
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            section = header.group(1)
            if app_use and section == "alembic":
                continue
            out.append(line)
            if app_use and section == "app:main":
                out.append(f"use = {app_use}")
                out.append("")
            continue
        if app_use and section in ("app:main", "alembic"):
            continue
        if listen and section == "server:main" and re.match(r"^listen\s*=", line):
            line = f"listen = {listen}"
        out.append(line)
    return "\n".join(out) + "\n"


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class IniFiles:
    """production.ini itself while its port is free, else a copy listening elsewhere."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.text = PRODUCTION_INI.read_text()
        self.settings = server_settings(self.text)
        listen = self.settings.get("listen", f"{HOST}:6543").split()[0]
        self.port = int(listen.rsplit(":", 1)[1])

    def app_ini(self):
        """(ini path, port) for the app; production.ini unless its port is busy."""
        if port_is_free(self.port):
            return PRODUCTION_INI, self.port
        port = free_port()
        log(f"  port {self.port} is busy: serving from a copy of production.ini on {port}")
        path = self.workdir / f"production-{port}.ini"
        path.write_text(rewrite_ini(self.text, listen=f"{HOST}:{port}"))
        return path, port

    def hello_ini(self):
        """The hello app on another port: it stays up beside pybackend during the run."""
        port = free_port()
        path = self.workdir / "hello.ini"
        path.write_text(
            rewrite_ini(self.text, listen=f"{HOST}:{port}", app_use="call:bench.hello:main")
        )
        return path, port


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------


def http_get(port, path, headers=None, timeout=10):
    """(status, headers, body length) of one GET, with the Host the app serves."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": HOST_HEADER, **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), len(body)
    finally:
        connection.close()


class Server:
    """``pserve INI`` in its own process group; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name, ini, port, env, log_path, ready_path):
        self.name = name
        self.ini = ini
        self.port = port
        self.env = env
        self.log_path = log_path
        self.ready_path = ready_path
        self.process = None
        self.started_in = None
        self._log = None

    def start(self):
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(BIN / "pserve"), str(self.ini)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"{self.name}: pserve exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                status, _, _ = http_get(self.port, self.ready_path, timeout=2)
            except OSError:
                status = None
            if status == 200:
                self.started_in = time.monotonic() - started
                return self
            time.sleep(0.1)
        raise BenchError(
            f"{self.name}: not ready after {SERVER_START_TIMEOUT} s:\n{self.log_tail()}"
        )

    def peak_rss_mb(self, field="VmHWM"):
        """VmHWM: the peak resident set size of the server process so far (VmRSS: now)."""
        if self.process is None or self.process.poll() is not None:
            return None
        status = _read(f"/proc/{self.process.pid}/status")
        match = re.search(rf"^{field}:\s*(\d+) kB", status, re.M)
        return round(int(match.group(1)) / 1024, 1) if match else None

    def log_tail(self, lines=30):
        return "\n".join(_read(self.log_path).splitlines()[-lines:])

    def queue_warnings(self):
        return _read(self.log_path).count("Task queue depth")

    def stop(self):
        process = self.process
        if process is not None and process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._log is not None:
            self._log.close()
            self._log = None


# ---------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value, unit):
    return float(value) * _UNITS_MS[unit]


def parse_wrk(output):
    """req/s, latency percentiles (ms) and errors from ``wrk --latency`` output."""
    result = {"rps": 0.0, "requests": 0, "non_2xx_3xx": 0, "socket_errors": 0}
    match = re.search(r"^Requests/sec:\s*([\d.]+)", output, re.M)
    if match:
        result["rps"] = float(match.group(1))
    match = re.search(r"^\s*(\d+) requests in", output, re.M)
    if match:
        result["requests"] = int(match.group(1))
    for percent in (50, 75, 90, 99):
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
        result[f"p{percent}_ms"] = round(_ms(*match.groups()), 3) if match else None
    match = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    if match:
        result["non_2xx_3xx"] = int(match.group(1))
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        counts = [int(n) for n in match.groups()]
        result["socket_errors"] = sum(counts)
        result["socket_error_detail"] = dict(
            zip(("connect", "read", "write", "timeout"), counts, strict=True)
        )
    result["errors"] = result["non_2xx_3xx"] + result["socket_errors"]
    return result


def write_wrk_scripts(workdir):
    from pybackend.scripts.generate_data import SYLLABLES

    quoted = ", ".join(f'"{syllable}"' for syllable in SYLLABLES)
    (workdir / WRK_SCRIPTS["search_names"]).write_text(SEARCH_NAMES_LUA % quoted)


def run_wrk(port, path, connections, duration, headers=(), script=None):
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "--latency",
        "-H",
        f"Host: {HOST_HEADER}",
    ]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://{HOST}:{port}{path}")
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, cwd=ROOT
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"wrk did not finish: {' '.join(command)}") from e
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stderr.strip()}")
    parsed = parse_wrk(result.stdout)
    parsed["command"] = command
    parsed["raw"] = result.stdout
    settle(port)
    return parsed


# When wrk stops, requests it sent are still queued in the server (waitress runs them even
# though their connections are gone): up to 50 uncached searches, most of a second. The
# next run's first requests would wait behind them, so a run at one connection right after
# one at fifty measured the previous run's backlog as its p99. Probes go to the back of the
# same queue; two quick answers in a row mean it is empty.
SETTLE_PATH = "/robots.txt"
SETTLE_QUICK_MS = 20
SETTLE_TIMEOUT = 30


def settle(port):
    deadline = time.monotonic() + SETTLE_TIMEOUT
    quick = 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            http_get(port, SETTLE_PATH, timeout=SETTLE_TIMEOUT)
        except OSError:
            return  # a dead server is noticed by the caller
        quick = quick + 1 if (time.monotonic() - started) * 1000 < SETTLE_QUICK_MS else 0


# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------


def run_script(name, args, env, capture=True, timeout=SUBPROCESS_TIMEOUT):
    command = [str(BIN / name), *args]
    started = time.monotonic()
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"{name} took more than {timeout} s") from e
    return result, time.monotonic() - started


def count_content(url):
    from sqlalchemy import create_engine, text

    from pybackend.config import normalize_database_url

    engine = create_engine(normalize_database_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT type, count(*) FROM items GROUP BY type"))
            counts = {row[0] + "s": row[1] for row in rows}
            counts["links"] = connection.scalar(text("SELECT count(*) FROM links"))
            counts["references"] = connection.scalar(text("SELECT count(*) FROM item_references"))
        return counts
    finally:
        engine.dispose()


def reset_postgres(url, env):
    """Remove pybackend's tables from the given database (only those), for a fresh start."""
    from sqlalchemy import create_engine, text

    from pybackend.config import normalize_database_url
    from pybackend.models.meta import Base

    # The migrations' own downgrades first (they know every table they made) ...
    result, _ = run_script("alembic", ["-c", str(PRODUCTION_INI), "downgrade", "base"], env)
    if result.returncode != 0:
        log(f"  alembic downgrade base failed; dropping the known tables:\n{result.stderr}")
    # ... then whatever is left of our models (a half-migrated database).
    engine = create_engine(normalize_database_url(url))
    try:
        with engine.begin() as connection:
            Base.metadata.drop_all(bind=connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


def prepare_database(backend, size, url, env):
    """Migrate + seed, then generate; returns a dict of what was done and how long it took."""
    info = {}
    if backend == "postgresql":
        reset_postgres(url, env)
    result, elapsed = run_script("initialize_pybackend_db", [str(PRODUCTION_INI)], env)
    if result.returncode != 0:
        raise BenchError(f"initialize_pybackend_db failed:\n{result.stdout}{result.stderr}")
    info["initialize_s"] = round(elapsed, 2)
    if size > SEED_ITEMS:
        log(f"  generating {size} topics ...")
        result, elapsed = run_script(
            "pybackend-generate",
            [str(PRODUCTION_INI), "--topics", str(size)],
            env,
            capture=False,  # the progress bar goes to the terminal
            timeout=GENERATE_TIMEOUT,
        )
        info["generate_s"] = round(elapsed, 2)
        info["generate_output"] = result.stdout
        for line in result.stdout.splitlines():
            log(f"    {line}")
        if result.returncode == 3:
            log("  warning: the search index was not rebuilt; search results may be empty")
            info["search_index_failed"] = True
        elif result.returncode != 0:
            raise BenchError(f"pybackend-generate failed with exit status {result.returncode}")
    info["counts"] = count_content(url)
    # Write the new database out now, so the kernel's writeback does not compete with the
    # server for the CPU during the measurements (100 000 topics: over 1 GB).
    started = time.monotonic()
    os.sync()
    info["sync_s"] = round(time.monotonic() - started, 2)
    return info


# ---------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        write_wrk_scripts(workdir)
        self.inis = IniFiles(workdir)
        self.secret = secrets.token_urlsafe(48)
        self.baseline = {}  # connections -> hello "/" summary: the denominator of every ratio
        self.baseline_304 = {}  # connections -> hello "/304" (what waitress does with a 304)
        self.hello = None
        self.rows = []
        self.sizes = []
        self.servers = []

    def base_env(self):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}
        env["PYBACKEND_SECRET"] = self.secret
        env["PYTHONPATH"] = str(ROOT)
        # A crash of a server (one segfault in libpython so far) leaves every thread's
        # Python stack in its log, which the results keep for a dead server.
        env["PYTHONFAULTHANDLER"] = "1"
        return env

    def server(self, *args, **kw):
        server = Server(*args, **kw)
        self.servers.append(server)
        return server

    def start_hello(self):
        """Start the hello app, measure it (and its 304) once: the machine's ceiling today."""
        ini, port = self.inis.hello_ini()
        self.hello = self.server(
            "hello", ini, port, self.base_env(), self.workdir / "hello.log", "/"
        )
        log(f"\nBaseline: Pyramid hello on waitress ({ini.name}, port {port}, same settings)")
        self.hello.start()
        if not self.args.quick:
            run_wrk(port, "/", max(self.args.connections), 1)
        for scenario, path, store in (
            ("hello", "/", self.baseline),
            ("hello_304", "/304", self.baseline_304),
        ):
            for connections in self.args.connections:
                store[connections] = self._hello_run(scenario, path, connections)

    def _hello_run(self, scenario, path, connections, runs=None, backend="-", size=None):
        runs = [
            run_wrk(self.hello.port, path, connections, self.args.duration)
            for _ in range(runs or self.args.baseline_runs)
        ]
        median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        log(
            f"  {scenario:<10} c={connections:<3} {median['rps']:>8.0f} req/s"
            + (
                " (runs: " + ", ".join(f"{r['rps']:.0f}" for r in runs) + ")"
                if len(runs) > 1
                else ""
            )
            + f"  p99 {median['p99_ms']} ms  errors {median['errors']}"
        )
        return {
            "backend": backend,
            "size": size,
            "scenario": scenario,
            "path": path,
            "connections": connections,
            "rps": median["rps"],
            "rps_runs": [r["rps"] for r in runs],
            "p50_ms": median["p50_ms"],
            "p99_ms": median["p99_ms"],
            "errors": median["errors"],
            "status": 200 if path == "/" else 304,
            "note": "",
            "rss_mb": None,
            "raw": median["raw"],
            "ratio": 1.0 if scenario == "hello" else None,
        }

    def hello_beside(self, backend, size, when, store):
        """Hello right before / after a size's scenarios: the ratios' denominator."""
        for connections in self.args.connections:
            row = self._hello_run("hello", "/", connections, self.args.runs, backend, size)
            previous = store.get(connections)
            if previous is None:
                store[connections] = row
                continue
            # After the scenarios: the mean of before and after is the size's baseline.
            row["rps_before"], row["rps_after"] = previous["rps"], row["rps"]
            row["rps_runs"] = previous["rps_runs"] + row["rps_runs"]
            row["rps"] = round((previous["rps"] + row["rps"]) / 2, 2)
            row["p99_ms"] = max(previous["p99_ms"] or 0, row["p99_ms"] or 0)
            row["errors"] = (previous["errors"] or 0) + (row["errors"] or 0)
            store[connections] = row
        if when == "after":
            self.rows.extend(store.values())

    def compute_ratios(self):
        """req/s over hello's, measured beside the same size (else the first baseline)."""
        paired = {
            (r["backend"], r["size"], r["connections"]): r
            for r in self.rows
            if r["scenario"] == "hello"
        }
        for row in [*self.baseline_304.values(), *self.rows]:
            connections = row["connections"]
            base = paired.get((row["backend"], row["size"], connections)) or self.baseline.get(
                connections
            )
            rps = row["rps"]
            row["ratio"] = round(rps / base["rps"], 3) if rps is not None and base else None
            hello_304 = self.baseline_304.get(connections)
            if row["scenario"] == "topic_304" and rps is not None and hello_304 and base:
                # hello's 304 scaled to the hello measured beside this size
                first = self.baseline.get(connections)
                scale = base["rps"] / first["rps"] if first else 1.0
                row["ratio_hello_304"] = round(rps / (hello_304["rps"] * scale), 3)

    def run_size(self, backend, size, url):
        label = f"{backend} size={size}"
        log(f"\n== {label}")
        env = self.base_env()
        env["DATABASE_URL"] = url
        info = {"backend": backend, "size": size, "server": "pybackend"}
        info.update(prepare_database(backend, size, url, env))
        counts = info["counts"]
        log(
            f"  database: {counts.get('topics', 0)} topics, {counts.get('examples', 0)} examples,"
            f" {counts['links']} links, {counts['references']} references"
        )
        ini, port = self.inis.app_ini()
        server = self.server(
            f"pybackend ({label})",
            ini,
            port,
            env,
            self.workdir / f"{backend}-{size}.log",
            "/healthz",
        )
        try:
            server.start()
            info["server_start_s"] = round(server.started_in, 2)
            info["loadavg_before"] = os.getloadavg()
            log(f"  pserve {ini.name} ready in {server.started_in:.1f} s on port {port}")
            hello_rows = {}
            self.hello_beside(backend, size, "before", hello_rows)
            peak_rss = []
            for name, path, conditional in SCENARIOS:
                try:
                    try:
                        self.run_scenario(backend, size, port, name, path, conditional)
                    except BenchError:
                        if server.process.poll() is None:
                            raise
                        raise ServerDied(name) from None
                    if server.process.poll() is not None:
                        raise ServerDied(name)
                except ScenarioStuck as stuck:
                    note = f"first request > {self.args.first_request_timeout:g} s"
                    if isinstance(stuck, ServerDied):
                        code = server.process.returncode
                        how = f"signal {-code}" if code < 0 else f"status {code}"
                        note = f"server died ({how}) during this scenario"
                        tail = server.log_tail(80)
                        log(f"  {name}: the server died ({how}); its log ends:\n{tail}")
                        info.setdefault("server_deaths", []).append(
                            {"scenario": name, "how": how, "log_tail": tail}
                        )
                    log(f"  {name:<12} {note}: restarting the server")
                    measured = [
                        r
                        for r in self.rows
                        if (r["backend"], r["size"], r["scenario"]) == (backend, size, name)
                    ]
                    for row in measured:
                        row["note"] = note
                    if not measured:
                        for connections in self.args.connections:
                            self.rows.append(
                                self._row(backend, size, name, path, connections, None, note, None)
                            )
                    peak_rss.append(server.peak_rss_mb())
                    server.stop()
                    server = self.server(
                        f"pybackend ({label}, restarted)",
                        ini,
                        port,
                        env,
                        self.workdir / f"{backend}-{size}-restarted.log",
                        "/healthz",
                    )
                    server.start()
                    info["restarted_after"] = [*info.get("restarted_after", []), name]
            self.hello_beside(backend, size, "after", hello_rows)
            peak_rss.append(server.peak_rss_mb())
            info["peak_rss_mb"] = max((v for v in peak_rss if v is not None), default=None)
            info["rss_at_end_mb"] = server.peak_rss_mb("VmRSS")
            info["loadavg_after"] = os.getloadavg()
            info["queue_depth_warnings"] = server.queue_warnings()
            for row in self.rows:
                if row["backend"] == backend and row["size"] == size:
                    hello = row["scenario"] == "hello"
                    row["rss_mb"] = self.hello.peak_rss_mb() if hello else info["peak_rss_mb"]
            log(
                f"  peak RSS {info['peak_rss_mb']} MB (now {info['rss_at_end_mb']} MB); "
                f"waitress 'Task queue depth' warnings: "
                f"{info['queue_depth_warnings']}"
            )
        finally:
            server.stop()
        self.sizes.append(info)

    def run_scenario(self, backend, size, port, name, path, conditional):
        headers = []
        try:
            # First request renders (and caches) the page; it also tells us the status.
            first = time.monotonic()
            status, response_headers, length = http_get(
                port, path, timeout=self.args.first_request_timeout
            )
            first_ms = (time.monotonic() - first) * 1000
        except TimeoutError as e:
            raise ScenarioStuck(name) from e
        except OSError as e:
            raise BenchError(f"{name}: GET {path} failed: {e}") from e
        log(f"  {name:<12} first request: HTTP {status} in {first_ms:.0f} ms, {length} bytes")
        note = "" if status == 200 else f"HTTP {status}"
        if conditional:
            etag = response_headers.get("ETag") or response_headers.get("Etag")
            if not etag:
                note = f"no ETag (HTTP {status})"
                log(f"  {name}: {path} answered without an ETag; skipped")
                self.rows.append(self._row(backend, size, name, path, None, None, note, status))
                return
            headers.append(f"If-None-Match: {etag}")
            status, _, length = http_get(port, path, {"If-None-Match": etag})
            note = "" if status == 304 else f"HTTP {status}, not 304"
        script = self.workdir / WRK_SCRIPTS[name] if name in WRK_SCRIPTS else None
        if not self.args.quick:
            run_wrk(port, path, max(self.args.connections), 1, headers, script)  # warm-up
        for connections in self.connection_counts(name):
            latency = connections == LATENCY_CONNECTIONS and name in LATENCY_SCENARIOS
            runs = self.args.runs if latency or name in RATIO_SCENARIOS else 1
            result = median_run(
                [
                    run_wrk(port, path, connections, self.args.duration, headers, script)
                    for _ in range(runs)
                ],
                "p99_ms" if latency else "rps",
            )
            row = self._row(backend, size, name, path, connections, result, note, status)
            row["first_request_ms"] = round(first_ms, 1)
            row["body_bytes"] = length
            self.rows.append(row)
            several = f" (median of {runs})" if runs > 1 else ""
            log(
                f"  {name:<12} c={connections:<3} {result['rps']:>8.0f} req/s  "
                f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  "
                f"errors {result['errors']}{several}{'  ' + note if note else ''}"
            )

    def connection_counts(self, name):
        """Search also runs at one connection: its latency without a queue (the target)."""
        if name in LATENCY_SCENARIOS:
            return [LATENCY_CONNECTIONS, *self.args.connections]
        return self.args.connections

    def _row(self, backend, size, name, path, connections, result, note, status):
        result = result or {}
        rps = result.get("rps")
        return {
            "backend": backend,
            "size": size,
            "scenario": name,
            "path": path,
            "connections": connections,
            "rps": rps,
            "p50_ms": result.get("p50_ms"),
            "p99_ms": result.get("p99_ms"),
            "rps_runs": result.get("rps_runs"),
            "p99_runs": result.get("p99_runs"),
            "errors": result.get("errors"),
            "socket_errors": result.get("socket_errors"),
            "non_2xx_3xx": result.get("non_2xx_3xx"),
            "status": status,
            "note": note,
            "rss_mb": None,
            "ratio": None,  # compute_ratios(), once the last baseline is in
            "ratio_hello_304": None,
            "raw": result.get("raw"),
        }


# ---------------------------------------------------------------------------
# Targets, table, JSON
# ---------------------------------------------------------------------------


def _verdict(ok):
    return "PASS" if ok else "FAIL"


def evaluate_targets(rows, sizes, baseline):
    targets = []
    measured = [r for r in rows if r["rps"] is not None]

    def where(row):
        return f"{row['backend']} size={row['size']} c={row['connections']}"

    for scenario, label in (("topic", "topic"), ("topic_304", "304")):
        factor = TARGETS[scenario]
        candidates = [r for r in rows if r["scenario"] == scenario]
        name = f"{label} req/s >= {factor} x hello"
        if not candidates or any(r["ratio"] is None for r in candidates):
            targets.append({"target": name, "result": "FAIL", "detail": "not measured"})
            continue
        worst = min(candidates, key=lambda r: r["ratio"])
        ok = worst["ratio"] >= factor
        detail = f"worst {worst['ratio']:.2f} x ({where(worst)})"
        if worst.get("ratio_hello_304") is not None:
            detail += f"; {worst['ratio_hello_304']:.2f} x of hello's own 304s"
        targets.append({"target": name, "result": _verdict(ok), "detail": detail})

    all_sizes = sorted({r["size"] for r in rows if r["size"] is not None})
    largest = all_sizes[-1] if all_sizes else None
    name = f"search p99 < {TARGETS['search_p99_ms']:.0f} ms at 100 000 (1 connection)"
    if largest is None or largest < 100_000:
        targets.append({"target": name, "result": "N/A", "detail": "size 100 000 not run"})
    else:
        # Both: a popular query (a page-cache hit after the first) and varied names (misses),
        # at one connection (see LATENCY_SCENARIOS).
        candidates = [
            r
            for r in rows
            if r["scenario"] in LATENCY_SCENARIOS
            and r["size"] == largest
            and r["connections"] == LATENCY_CONNECTIONS
        ]
        bad = [
            r
            for r in candidates
            if r["p99_ms"] is None or r["p99_ms"] >= TARGETS["search_p99_ms"] or r["errors"]
        ]
        detail = "; ".join(
            f"{r['scenario']} {r['backend']} c={r['connections']}: "
            + (
                f"p99 {r['p99_ms']} ms, {r['errors']} errors"
                if r["rps"] is not None
                else "not measured"
            )
            + (f" ({r['note']})" if r["note"] else "")
            for r in candidates
        )
        targets.append(
            {"target": name, "result": _verdict(candidates and not bad), "detail": detail}
        )

    name = "home/list/topic at the largest size within 20 % of the smallest (x hello)"
    if len(all_sizes) < 2:
        targets.append({"target": name, "result": "N/A", "detail": "only one size run"})
    else:
        smallest = all_sizes[0]
        worst = None
        missing = False
        # Compared as ratios to the hello measured beside each size: on a shared machine
        # the absolute req/s of two runs minutes apart differ by more than 20 % on their own.
        for small in (r for r in measured if r["size"] == smallest):
            if small["scenario"] not in ("home", "list", "topic"):
                continue
            big = next(
                (
                    r
                    for r in measured
                    if r["size"] == largest
                    and r["backend"] == small["backend"]
                    and r["scenario"] == small["scenario"]
                    and r["connections"] == small["connections"]
                ),
                None,
            )
            if big is None or not small["ratio"] or big["ratio"] is None:
                missing = True
                continue
            change = big["ratio"] / small["ratio"]
            if worst is None or change < worst[0]:
                worst = (change, small, big)
        if worst is None:
            targets.append({"target": name, "result": "FAIL", "detail": "not measured"})
        else:
            change, small, big = worst
            ok = change >= 1 - TARGETS["size_drift"] and not missing
            targets.append(
                {
                    "target": name,
                    "result": _verdict(ok),
                    "detail": f"worst {small['scenario']} {small['backend']} "
                    f"c={small['connections']}: {big['ratio']:.2f} x hello at {largest} vs "
                    f"{small['ratio']:.2f} x at {smallest} ({change:.2f}; req/s "
                    f"{big['rps']:.0f} vs {small['rps']:.0f})",
                }
            )

    name = f"peak RSS < {TARGETS['rss_mb']:.0f} MB"
    rss = [(s.get("peak_rss_mb"), s) for s in sizes if s.get("server") == "pybackend"]
    if not rss or any(value is None for value, _ in rss):
        targets.append({"target": name, "result": "FAIL", "detail": "not measured"})
    else:
        value, size = max(rss, key=lambda pair: pair[0])
        targets.append(
            {
                "target": name,
                "result": _verdict(value < TARGETS["rss_mb"]),
                "detail": f"max {value} MB ({size['backend']} size={size['size']}; "
                f"{size.get('rss_at_end_mb')} MB resident at the end)",
            }
        )

    name = "0 errors"
    failing = [r for r in rows if r["errors"] is None or r["errors"] > 0]
    failing += [b for b in baseline.values() if b["errors"]]
    detail = ", ".join(
        sorted({f"{r['scenario']}" + (f" ({r['note']})" if r.get("note") else "") for r in failing})
    )
    targets.append({"target": name, "result": _verdict(not failing), "detail": detail or "none"})
    return targets


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def print_table(baseline, rows):
    header = (
        f"{'backend':<10} {'size':>7} {'scenario':<12} {'conns':>5} {'req/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'errors':>7} {'RSS MB':>7} {'ratio':>6}  note"
    )
    log(header)
    log("-" * len(header))
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    ordered = sorted(
        rows,
        key=lambda r: (backends.index(r["backend"]), r["size"] or 0, r["scenario"] != "hello"),
    )
    for row in [*baseline, *ordered]:
        log(
            f"{row['backend']:<10} {_fmt(row['size'], 'd'):>7} {row['scenario']:<12} "
            f"{_fmt(row['connections'], 'd'):>5} {_fmt(row['rps'], '.0f'):>8} "
            f"{_fmt(row['p50_ms'], '.2f'):>7} {_fmt(row['p99_ms'], '.2f'):>7} "
            f"{_fmt(row['errors'], 'd'):>7} {_fmt(row.get('rss_mb'), '.0f'):>7} "
            f"{_fmt(row['ratio'], '.2f'):>6}  {row.get('note') or ''}"
        )


def write_results(out_dir, payload):
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"results-{stamp}.json"
    text = json.dumps(payload, indent=2, default=str)
    path.write_text(text)
    (out_dir / "latest.json").write_text(text)
    return path


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
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
    pg_url = os.environ.get("DATABASE_URL", "")
    backends = [("sqlite", None)]
    if pg_url and not args.sqlite_only:
        if pg_url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
            backends.append(("postgresql", pg_url))
            log(
                "DATABASE_URL is set: the sizes also run on PostgreSQL; pybackend's tables in "
                "that database are dropped and recreated for each size."
            )
        else:
            log("DATABASE_URL is not a PostgreSQL URL; ignored (SQLite only).")
    workdir = Path(tempfile.mkdtemp(prefix="pybackend-bench-"))
    bench = Bench(args, workdir)
    payload = None
    try:
        machine = machine_info(backends[-1][1] if len(backends) > 1 else None)
        log(
            f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), "
            f"{machine['memory_mb']} MB, Python {machine['python']}, SQLite {machine['sqlite']}"
            + (f", PostgreSQL {machine['postgresql']}" if "postgresql" in machine else "")
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
                if backend == "sqlite":
                    url = f"sqlite:///{workdir / f'size-{size}.sqlite'}"
                bench.run_size(backend, size, url)
                if backend == "sqlite":
                    for path in workdir.glob(f"size-{size}.sqlite*"):
                        path.unlink()
        bench.sizes.append(
            {
                "backend": "-",
                "size": None,
                "server": "hello",
                "peak_rss_mb": bench.hello.peak_rss_mb(),
                "queue_depth_warnings": bench.hello.queue_warnings(),
            }
        )
        for row in [*bench.baseline.values(), *bench.baseline_304.values()]:
            row["rss_mb"] = bench.sizes[-1]["peak_rss_mb"]
        bench.compute_ratios()
        targets = evaluate_targets(bench.rows, bench.sizes, bench.baseline)
        elapsed = time.monotonic() - started
        machine["loadavg_at_end"] = os.getloadavg()
        log("")
        print_table([*bench.baseline.values(), *bench.baseline_304.values()], bench.rows)
        log("\nTargets (reported, not asserted):")
        for target in targets:
            log(f"  {target['result']:<4}  {target['target']}: {target['detail']}")
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
                "wrk": "wrk -t1 -c<connections> -d<duration> --timeout 5s --latency "
                "-H 'Host: localhost'",
                "server_main": bench.inis.settings,
                "backends": [name for name, _ in backends],
            },
            "baseline": [*bench.baseline.values(), *bench.baseline_304.values()],
            "results": bench.rows,
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
        for server in bench.servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
