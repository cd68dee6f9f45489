"""One run: the hello baseline, then each size's block of scenarios on a fresh database."""

import os
import secrets
import time

from pybackend.scripts.generate_data import SYLLABLES

from .databases import create_editor, prepare_database, read_site
from .editload import Editor, measure_edit_form, measure_saves, run_edit_load
from .scenarios import (
    ScenarioStuck,
    ServerDied,
    SizeContext,
    SizeScripts,
    default_scenarios,
    make_row,
    measure_sitemap,
    run_scenario,
)
from .servers import ROOT, BenchError, IniFiles, Server, log
from .wrk import run_wrk

# The scenarios of a logged-in editor: the bench's account is created only for them.
EDITOR_SCENARIOS = frozenset({"admin_edit_form", "admin_save", "edit_load"})


class Bench:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.inis = IniFiles(workdir)
        self.secret = secrets.token_urlsafe(48)
        self.scenarios = [s for s in default_scenarios() if s.name in args.scenarios]
        self.baseline = {}  # connections -> hello "/" alone: the fallback denominator
        self.baseline_304 = {}  # connections -> hello "/304" (what waitress does with a 304)
        self.hello = None
        self.rows = []
        self.measurements = []  # single requests: sitemap, admin edit form
        self.writers = []  # edit_load's writer reports
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

    def stop_all(self):
        for server in self.servers:
            server.stop()

    # -- hello -------------------------------------------------------------------

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
                store[connections] = self._hello_run(
                    scenario, path, connections, self.args.baseline_runs
                )

    def _hello_run(self, scenario, path, connections, runs, backend="-", size=None):
        results = [
            run_wrk(self.hello.port, path, connections, self.args.duration) for _ in range(runs)
        ]
        median = sorted(results, key=lambda r: r["rps"])[len(results) // 2]
        several = ", ".join(f"{r['rps']:.0f}" for r in results)
        log(
            f"  {scenario:<10} c={connections:<3} {median['rps']:>8.0f} req/s"
            + (f" (runs: {several})" if runs > 1 else "")
            + f"  p99 {median['p99_ms']} ms  errors {median['errors']}"
        )
        row = make_row(
            backend, size, scenario, path, connections, median, "", 200 if path == "/" else 304
        )
        row["rps_runs"] = [r["rps"] for r in results]
        row["ratio"] = 1.0 if scenario == "hello" else None
        return row

    def hello_beside(self, backend, size, store):
        """Hello right before / after a size's scenarios: their mean is the ratios' denominator."""
        for connections in self.args.connections:
            row = self._hello_run("hello", "/", connections, self.args.runs, backend, size)
            previous = store.get(connections)
            if previous is not None:
                row["rps_before"], row["rps_after"] = previous["rps"], row["rps"]
                row["rps_runs"] = previous["rps_runs"] + row["rps_runs"]
                row["rps"] = round((previous["rps"] + row["rps"]) / 2, 2)
                row["p99_ms"] = max(previous["p99_ms"] or 0, row["p99_ms"] or 0)
                row["errors"] = (previous["errors"] or 0) + (row["errors"] or 0)
            store[connections] = row

    def finish(self):
        self.sizes.append(
            {
                "backend": "-",
                "size": None,
                "server": "hello",
                "peak_rss_mb": self.hello.peak_rss_mb(),
                "queue_depth_warnings": self.hello.queue_warnings(),
            }
        )
        for row in [*self.baseline.values(), *self.baseline_304.values()]:
            row["rss_mb"] = self.sizes[-1]["peak_rss_mb"]
        self.compute_ratios()

    def compute_ratios(self):
        """req/s over hello's beside the same size (else the first baseline), and over the
        reference row a variant was measured in turn with (same size, same connections)."""
        paired = {
            (r["backend"], r["size"], r["connections"]): r
            for r in self.rows
            if r["scenario"] == "hello"
        }
        by_name = {
            (r["backend"], r["size"], r["connections"], r["scenario"], r["variant"]): r
            for r in self.rows
        }
        for row in [*self.baseline_304.values(), *self.rows]:
            connections, rps = row["connections"], row["rps"]
            key = (row["backend"], row["size"], connections)
            base = paired.get(key) or self.baseline.get(connections)
            row["ratio"] = round(rps / base["rps"], 3) if rps is not None and base else None
            hello_304 = self.baseline_304.get(connections)
            if row["scenario"] == "topic_304" and rps is not None and hello_304 and base:
                # hello's 304 scaled to the hello measured beside this size
                first = self.baseline.get(connections)
                scale = base["rps"] / first["rps"] if first else 1.0
                row["ratio_hello_304"] = round(rps / (hello_304["rps"] * scale), 3)
            if row.get("ref"):
                ref = by_name.get((*key, row["ref"]["scenario"], row["ref"]["variant"]))
                if ref and ref["rps"] and rps is not None:
                    row["ratio_ref"] = round(rps / ref["rps"], 3)

    # -- a size ------------------------------------------------------------------

    def run_size(self, backend, size, url):
        label = f"{backend} size={size}"
        log(f"\n== {label}")
        block_started = time.monotonic()
        args = self.args
        largest = size == args.sizes[-1]
        # The load scenarios (cold pages, cookies, a writer) run at the largest size only.
        wanted = {s.name for s in self.scenarios if largest or not s.load}
        wanted |= {"sitemap", "admin_edit_form", "admin_save"} & args.scenarios
        if largest and "edit_load" in args.scenarios:
            wanted.add("edit_load")
        env = self.base_env()
        env["DATABASE_URL"] = url
        info = {"backend": backend, "size": size, "server": "pybackend"}
        info.update(prepare_database(backend, size, url, env))
        counts = info["counts"]
        log(
            f"  database: {counts.get('topics', 0)} topics, {counts.get('examples', 0)} examples,"
            f" {counts['links']} links, {counts['references']} references"
        )
        site = read_site(url)
        password = secrets.token_urlsafe(24)
        if EDITOR_SCENARIOS & wanted:
            create_editor(env, password)
        ini, port = self.inis.app_ini()

        def start(suffix=""):
            server = self.server(
                f"pybackend ({label}{suffix})",
                ini,
                port,
                env,
                self.workdir / f"{backend}-{size}{suffix}.log",
                "/healthz",
            )
            server.start()
            return server

        ctx = SizeContext(args, backend, size, port, largest, self.workdir, site, None)
        ctx.server = start()
        peak_rss = []
        try:
            info["server_start_s"] = round(ctx.server.started_in, 2)
            info["loadavg_before"] = os.getloadavg()
            log(f"  pserve {ini.name} ready in {ctx.server.started_in:.1f} s on port {port}")
            if "sitemap" in wanted:  # first: cold means the first requests after the start
                self.measurements += measure_sitemap(ctx)
            scripts = SizeScripts(
                self.workdir, size, site, port, args.first_request_timeout, SYLLABLES, wanted
            )
            hello_rows = {}
            self.hello_beside(backend, size, hello_rows)
            for scenario in self.scenarios:
                if scenario.name in wanted:
                    self.guarded(
                        ctx,
                        scenario.name,
                        scenario.path,
                        info,
                        peak_rss,
                        start,
                        lambda s=scenario: run_scenario(ctx, s, scripts),
                    )
            if EDITOR_SCENARIOS & wanted:
                self.editing(ctx, password, scripts, wanted, info, peak_rss, start)
            self.hello_beside(backend, size, hello_rows)
            self.rows.extend(hello_rows.values())
            peak_rss.append(ctx.server.peak_rss_mb())
            info["peak_rss_mb"] = max((v for v in peak_rss if v is not None), default=None)
            info["rss_at_end_mb"] = ctx.server.peak_rss_mb("VmRSS")
            info["loadavg_after"] = os.getloadavg()
            info["queue_depth_warnings"] = ctx.server.queue_warnings()
            for row in self.rows:
                if row["backend"] == backend and row["size"] == size:
                    hello = row["scenario"] == "hello"
                    row["rss_mb"] = self.hello.peak_rss_mb() if hello else info["peak_rss_mb"]
            log(
                f"  peak RSS {info['peak_rss_mb']} MB (now {info['rss_at_end_mb']} MB); "
                f"waitress 'Task queue depth' warnings: {info['queue_depth_warnings']}"
            )
        finally:
            ctx.server.stop()
        info["block_s"] = round(time.monotonic() - block_started, 1)
        log(f"  {label}: {info['block_s']:.0f} s (generating: {info.get('generate_s', 0):.0f} s)")
        self.sizes.append(info)

    def editing(self, ctx, password, scripts, wanted, info, peak_rss, start):
        """The logged-in scenarios: the edit form's cost, then reads beside a writer."""
        if not ctx.site["edited"]:
            log("  edit_load: no topic without links to the hot page; skipped")
            return
        # Logging in hashes with Argon2id (64 MiB): the readers' peak is the one before it.
        info["peak_rss_before_login_mb"] = ctx.server.peak_rss_mb()
        editor = Editor(ctx.port, password, ctx.site["edited"], ctx.args.first_request_timeout)
        try:
            editor.find_edit_path()
            if "admin_edit_form" in wanted:
                self.guarded(
                    ctx,
                    "admin_edit_form",
                    editor.edit_path,
                    info,
                    peak_rss,
                    start,
                    lambda: self.measurements.append(measure_edit_form(ctx, editor)),
                )
            if "admin_save" in wanted:
                self.guarded(
                    ctx,
                    "admin_save",
                    editor.edit_path,
                    info,
                    peak_rss,
                    start,
                    lambda: self.measurements.append(measure_saves(ctx, editor)),
                )
            if "edit_load" in wanted:
                self.guarded(
                    ctx,
                    "edit_load",
                    "/",
                    info,
                    peak_rss,
                    start,
                    lambda: self.edit_load(ctx, editor, scripts),
                )
        finally:
            editor.close()

    def edit_load(self, ctx, editor, scripts):
        rows, writer = run_edit_load(ctx, editor, scripts)
        self.writers.append(writer)
        return rows

    def guarded(self, ctx, name, path, info, peak_rss, start, run):
        """Run one scenario; a stuck first request or a dead server: noted, server restarted."""
        server = ctx.server
        started = time.monotonic()
        try:
            try:
                self.rows.extend(run() or [])
            except (BenchError, OSError):
                if server.alive:
                    raise
                raise ServerDied(name) from None
            if not server.alive:
                raise ServerDied(name)
            # Which scenario raised the peak (VmHWM only grows), and what each one cost.
            info.setdefault("rss_after_mb", {})[name] = {
                "peak": server.peak_rss_mb(),
                "now": server.peak_rss_mb("VmRSS"),
                "seconds": round(time.monotonic() - started, 1),
            }
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
            key = (ctx.backend, ctx.size, name)
            measured = [r for r in self.rows if (r["backend"], r["size"], r["scenario"]) == key]
            for row in measured:
                row["note"] = note
            if not measured:
                for connections in self.args.connections:
                    self.rows.append(
                        make_row(ctx.backend, ctx.size, name, path, connections, None, note, None)
                    )
            peak_rss.append(server.peak_rss_mb())
            server.stop()
            ctx.server = start("-restarted")
            info["restarted_after"] = [*info.get("restarted_after", []), name]
