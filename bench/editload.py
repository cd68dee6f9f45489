"""The editor's side: logging in, the edit form's cost, and reads while a writer saves.

Everything goes over HTTP as a browser would (bench.client); the account comes from
``pybackend-user``. The writer is a separate process (bench.writer).
"""

import json
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

from .client import Client, LoginFailed, login
from .databases import BENCH_USER
from .scenarios import ScenarioStuck, first_request, make_row
from .servers import ROOT, BenchError, log
from .targets import writer_summary
from .writer import save_once
from .wrk import median_run, run_wrk

EDIT_FORM_SAMPLES = 5
EDIT_FORM_BUDGET_S = 10  # stop sampling a slow form after this (one sample at least)
SAVE_SAMPLES = 7  # saves through the form with nothing else running (admin_save)
SAVE_INTERVAL_S = 1.0  # as the writer: each save's pages are stored again before the next
WRITER_START_TIMEOUT = 30
# The writer ends after the request in progress; an edit form of 100 000 topics took
# tens of seconds to render before it was trimmed.
WRITER_STOP_TIMEOUT = 180
IDLE_TIMEOUT = 180


class Editor:
    """A logged-in editor of one size's server, and the id of the topic it edits."""

    def __init__(self, port, password, slug, timeout):
        self.client = Client(port, timeout=timeout)
        self.slug = slug
        self.edit_path = None
        try:
            login(self.client, BENCH_USER, password)
        except (LoginFailed, OSError) as error:
            raise BenchError(f"logging in as {BENCH_USER}: {error}") from error

    def find_edit_path(self):
        """/admin/topics/<id> of the topic: the row of the editors' list that shows its slug."""
        page = self.client.get(f"/admin/topics?q={self.slug}")
        for row in page.text.split("<tr")[1:]:
            link = re.search(r'href="(/admin/topics/\d+)"', row)
            if link and f">{self.slug}<" in row:
                self.edit_path = link.group(1)
                return self.edit_path
        raise BenchError(
            f"the editors' list (HTTP {page.status}) has no edit link for the topic {self.slug}"
        )

    def close(self):
        self.client.close()


def measure_edit_form(ctx, editor):
    """Bytes and time of the edit form, logged in, one request at a time (a few samples)."""
    samples, status, size = [], None, None
    started = time.monotonic()
    while len(samples) < EDIT_FORM_SAMPLES and (
        not samples or time.monotonic() - started < EDIT_FORM_BUDGET_S
    ):
        try:
            page = editor.client.get(editor.edit_path)
        except TimeoutError as error:
            raise ScenarioStuck("admin_edit_form") from error
        samples.append(round(page.ms, 1))
        status, size = page.status, len(page.body)
    entry = {
        "backend": ctx.backend,
        "size": ctx.size,
        "scenario": "admin_edit_form",
        "variant": "",
        "path": editor.edit_path,
        "status": status,
        "bytes": size,
        "first_ms": samples[0],
        "repeat_ms": samples,
        "ms": statistics.median(samples),
    }
    log(
        f"  admin_edit_form {editor.edit_path}: HTTP {status}, {size} bytes, "
        f"median {entry['ms']} ms ({', '.join(f'{m:g}' for m in samples)})"
    )
    return entry


def measure_saves(ctx, editor):
    """The server's time for a save, alone: the writer's cycle with no reads beside it.

    Each POST is timed from the client on loopback, so what it measures is the server's
    work (form, version check, revision, search index, commit). The first save is a
    warm-up; a save that is not a 303 is reported as the status.
    """
    stop = threading.Event()
    records = []
    started = time.monotonic()
    for number in range(SAVE_SAMPLES + 1):
        cycle = time.monotonic()
        try:
            record = save_once(editor.client, editor.edit_path, 10_000 + number, stop)
        except TimeoutError as error:
            raise ScenarioStuck("admin_save") from error
        records.append(record)
        if record.get("status") != 303 or time.monotonic() - started > EDIT_FORM_BUDGET_S * 3:
            break
        time.sleep(max(0.0, SAVE_INTERVAL_S - (time.monotonic() - cycle)))
    timed = [r["post_ms"] for r in records[1:] if r.get("status") == 303]
    failed = [r for r in records if r.get("status") != 303]
    entry = {
        "backend": ctx.backend,
        "size": ctx.size,
        "scenario": "admin_save",
        "variant": "",
        "path": editor.edit_path,
        "status": failed[0].get("status") if failed else 200,
        "error": failed[0].get("error") if failed else None,
        "first_ms": records[0].get("post_ms"),
        "repeat_ms": timed,
        "ms": statistics.median(timed) if timed else None,
    }
    log(
        f"  admin_save {editor.edit_path}: {len(timed)} saves, median {entry['ms']} ms "
        f"({', '.join(f'{m:g}' for m in timed)})" + (f"; {entry['error']}" if failed else "")
    )
    return entry


class Writer:
    """``python -m bench.writer`` in its own process, with the editor's session."""

    def __init__(self, ctx, editor):
        self.cookies = ctx.workdir / f"writer-cookies-{ctx.backend}-{ctx.size}.json"
        self.out = ctx.workdir / f"writer-{ctx.backend}-{ctx.size}.json"
        self.cookies.write_text(json.dumps(editor.client.cookies))
        self.command = [
            sys.executable,
            "-m",
            "bench.writer",
            "--port",
            str(ctx.port),
            "--edit-path",
            editor.edit_path,
            "--cookies",
            str(self.cookies),
            "--out",
            str(self.out),
        ]
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline()  # "writer: started", or "" if it died
        if "started" not in line:
            self.process.wait(timeout=WRITER_START_TIMEOUT)
            raise BenchError(f"the writer did not start (exit {self.process.returncode})")

    def stop(self):
        """SIGTERM, then its saves (it finishes the request in progress first)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=WRITER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return {"summary": {"saves": 0, "errors": 1, "note": "killed: no answer"}, "saves": []}
        finally:
            self.process.stdout.close()
        try:
            return json.loads(self.out.read_text())
        except (OSError, ValueError):
            return {"summary": {"saves": 0, "errors": 1, "note": "no report"}, "saves": []}


def run_edit_load(ctx, editor, scripts):
    """Reads of a page the edit leaves alone and of a 50-URL mix, without and with a writer.

    Without first, then with (not in turn: stopping the writer waits for its request in
    progress, which took tens of seconds on a big edit form); same connections, same runs.
    """
    args = ctx.args
    connections = min(args.connections)
    hot = f"/topics/{ctx.site['hot']}"
    reads = {"hot": (hot, None), "mix": ("/", scripts.scripts["mix"])}
    # Every page of the mix once, one at a time, so "no writer" measures cached pages (50
    # uncached pages of 100 000 topics took longer than a warm-up second to render).
    statuses = {}
    for path in dict.fromkeys((hot, *scripts.paths["mix"])):
        statuses[path] = first_request(ctx.port, path, {}, args.first_request_timeout, "edit_load")[
            0
        ]
    not_ok = {p: s for p, s in statuses.items() if s != 200}
    note = ", ".join(f"{p} HTTP {s}" for p, s in not_ok.items())
    if not args.quick:
        for path, script in reads.values():
            run_wrk(ctx.port, path, max(args.connections), 1, (), script)  # warm-up
    results = {}
    writer = Writer(ctx, editor)
    try:
        for phase in ("alone", "writer"):
            if phase == "writer":
                writer.start()
            for _ in range(args.runs):
                for name, (path, script) in reads.items():
                    results.setdefault((name, phase), []).append(
                        run_wrk(ctx.port, path, connections, args.duration, (), script)
                    )
    finally:
        report = writer.stop()
    idle = ctx.server.wait_idle(IDLE_TIMEOUT)
    rows = []
    for (name, phase), runs in results.items():
        result = median_run(runs)
        variant = name if phase == "writer" else f"{name}_alone"
        path = reads[name][0] if name == "hot" else "(50 URLs)"
        row = make_row(
            ctx.backend, ctx.size, "edit_load", path, connections, result, note, 200, variant
        )
        if phase == "writer":
            row["ref"] = {"scenario": "edit_load", "variant": f"{name}_alone"}
        rows.append(row)
        log(
            f"  edit_load/{variant:<14} c={connections:<3} {result['rps']:>8.0f} req/s  "
            f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  errors {result['errors']}"
        )
    log(
        f"  {writer_summary({**report, 'backend': ctx.backend, 'size': ctx.size})}; server idle "
        f"{'after ' + str(idle) + ' s' if idle is not None else 'not reached'}"
    )
    writer_info = {
        "backend": ctx.backend,
        "size": ctx.size,
        "edited": ctx.site["edited"],
        "edit_path": editor.edit_path,
        "hot": hot,
        "mix": scripts.paths["mix"],
        "connections": connections,
        "server_idle_after_s": idle,
        **report,
    }
    return rows, writer_info
