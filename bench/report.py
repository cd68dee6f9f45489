"""What the run reports: the machine, the table on stdout, the JSON in bench-results/."""

import datetime as dt
import json
import os
import platform
import re
import sqlite3
import subprocess

from .servers import ROOT, log, read_text
from .targets import writer_summary
from .wrk import wrk_version


def _git(*args):
    try:
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def machine_info(pg_version=None):
    cpu = re.search(r"^model name\s*:\s*(.+)$", read_text("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", read_text("/proc/meminfo"), re.M)
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
    if pg_version:
        info["postgresql"] = pg_version
    return info


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def label(row):
    return row["scenario"] + (f"/{row['variant']}" if row.get("variant") else "")


def print_table(baseline, rows):
    """One line per wrk row; ``ratio`` is to hello, ``vs ref`` to the row it pairs with."""
    header = (
        f"{'backend':<10} {'size':>7} {'scenario':<24} {'conns':>5} {'req/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'RSS MB':>6} {'ratio':>6} {'vs ref':>6}"
        "  note"
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
            f"{row['backend']:<10} {_fmt(row['size'], 'd'):>7} {label(row):<24} "
            f"{_fmt(row['connections'], 'd'):>5} {_fmt(row['rps'], '.0f'):>8} "
            f"{_fmt(row['p50_ms'], '.2f'):>7} {_fmt(row['p99_ms'], '.2f'):>7} "
            f"{_fmt(row['errors'], 'd'):>6} {_fmt(row.get('rss_mb'), '.0f'):>6} "
            f"{_fmt(row['ratio'], '.2f'):>6} {_fmt(row.get('ratio_ref'), '.2f'):>6}"
            f"  {row.get('note') or ''}"
        )


def shown(value):
    return "-" if value is None else f"{value:g}"


def print_measurements(measurements, writers):
    if measurements:
        log("\nSingle requests (one at a time, no load):")
        for m in measurements:
            log(
                f"  {m['backend']:<10} {m['size']:>7} {label(m):<24} HTTP {m['status']} "
                f"{shown(m.get('bytes')):>10} bytes  first {shown(m['first_ms']):>8} ms  median "
                f"{shown(m['ms']):>8} ms  {m['path']}"
            )
    for w in writers:
        s = w["summary"]
        log(
            f"\n{writer_summary(w)}; {w['edit_path']} = {w['edited']}, {s.get('elapsed_s')} s, "
            f"statuses {', '.join(s.get('statuses') or []) or '-'}, cycle p50 "
            f"{s.get('cycle_p50_ms')} ms, edit form {s.get('form_bytes')} bytes"
        )


def print_targets(targets):
    log("\nTargets (reported, not asserted):")
    for t in targets:
        log(f"  {t['result']:<4}  {t['target']}: {t['detail']}")


def write_results(out_dir, payload):
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"results-{stamp}.json"
    text = json.dumps(payload, indent=2, default=str)
    path.write_text(text)
    (out_dir / "latest.json").write_text(text)
    return path
