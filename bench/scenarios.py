"""The wrk scenarios, the size's Lua scripts, and the cold sitemap measurement."""

import re
import secrets
import statistics
import time
from dataclasses import dataclass, field

from .servers import BenchError, http_get, log
from .wrk import (
    median_run,
    run_wrk,
    write_cycle_script,
    write_random_paths_script,
    write_search_names_script,
)

# wrk is closed-loop: at c connections p50 is about c / throughput, the queue, whatever one
# request costs. The search target is judged at one connection, where p99 is the service
# time; 10 and 50 connections show throughput under load.
LATENCY_CONNECTIONS = 1
# A page whose first (uncached) rendering takes longer is recorded as failed, not loaded:
# the server is restarted, as its threads may still be busy with it.
FIRST_REQUEST_TIMEOUT = 60


class ScenarioStuck(Exception):
    """The first request of a scenario did not come back in the first-request timeout."""


class ServerDied(ScenarioStuck):
    """The server process ended during a scenario (a crash): recorded, then restarted."""


@dataclass(frozen=True)
class Variant:
    """Another row measured in turn with a scenario's own, in the same runs: its reference."""

    scenario: str
    variant: str
    headers: tuple = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str  # the first request, and wrk's URL (a script may request other paths)
    conditional: bool = False  # If-None-Match with the first response's ETag
    script: str | None = None  # a Lua script of the size (SizeScripts)
    judged: bool = False  # a target reads it: the median of --runs runs
    latency: bool = False  # also at one connection, the median by p99 (judged)
    judged_largest: bool = False  # judged at the largest size only: one run elsewhere
    warm_up: bool = True  # a second of load first (not for pages meant to be cold)
    # At which of --connections: "all", "smallest" (a run at 50 of pages that take
    # hundreds of ms leaves 50 of them queued, seconds to wait out) or "none" (latency only).
    under_load: str = "all"
    load: bool = False  # only at the largest size of the run
    # Measured only at the largest size and the smallest connection count: a variant
    # compares the cost of one request with its reference's; more connections add a queue.
    variants: tuple = field(default=())


def default_scenarios():
    """Every wrk scenario, in the order they run; the invented session token is new each run."""
    invented = secrets.token_urlsafe(32)
    return (
        Scenario("home", "/", judged=True),
        Scenario(
            "topic",
            "/topics/django",
            judged=True,
            variants=(
                Variant("cookie_bogus", "session", (f"Cookie: pybackend_session={invented}",)),
                Variant(
                    "cookie_bogus",
                    "analytics",
                    ("Cookie: _ga=GA1.2.123456789.1700000000; _gid=GA1.2.987654321.1700000000",),
                ),
            ),
        ),
        # The page topic just loaded: no warm-up needed.
        Scenario("topic_304", "/topics/django", conditional=True, judged=True, warm_up=False),
        Scenario("list", "/topics", judged=True),
        # A popular query: a page-cache hit after the first request, so under load it is
        # the topic page again; only its latency at one connection is measured.
        Scenario(
            "search", "/search?q=framework", latency=True, judged_largest=True, under_load="none"
        ),
        # A different name on every request: page-cache misses, the search itself.
        Scenario(
            "search_names",
            "/search?q=kazen",
            script="search_names",
            judged=True,
            latency=True,
            judged_largest=True,
        ),
        Scenario("api_topic", "/api/v1/topics/django", load=True),
        # Random pages over the whole database: mostly page-cache misses.
        Scenario(
            "cold_topic",
            "/topics/{random_topic}",
            script="cold_topic",
            judged=True,
            load=True,
            warm_up=False,
            under_load="smallest",
        ),
        Scenario(
            "cold_example",
            "/examples/{random_example}",
            script="cold_example",
            judged=True,
            load=True,
            warm_up=False,
            under_load="smallest",
        ),
        Scenario(
            "cold_list",
            "/topics?page={last_page}",
            script="cold_list",
            judged=True,
            load=True,
            warm_up=False,
            under_load="smallest",
        ),
    )


def scenario_names():
    return [s.name for s in default_scenarios()] + [
        "sitemap",
        "admin_edit_form",
        "admin_save",
        "edit_load",
    ]


# ---------------------------------------------------------------------------
# Lua scripts and paths of one size
# ---------------------------------------------------------------------------


def last_page(port, path, timeout):
    """The number of the last page of a paginated list (200 up to it, 404 after)."""
    low, high = 1, 2
    while http_get(port, f"{path}?page={high}", timeout=timeout)[0] == 200:
        low, high = high, high * 2
        if high > 100_000:
            return low
    while high - low > 1:  # low answers 200, high does not
        middle = (low + high) // 2
        if http_get(port, f"{path}?page={middle}", timeout=timeout)[0] == 200:
            low = middle
        else:
            high = middle
    return low


def mix_paths(site, pages, count=50):
    """The edit_load mix: home, lists, the hot and the edited topic, other topics, examples;
    each in both languages, repeated up to ``count`` URLs when the site has fewer."""
    topics, examples = site["slugs"]["topic"], site["slugs"]["example"]
    paths = ["/", "/topics", "/examples", "/topics?kind=framework", "/topics?kind=library"]
    if pages["topics"] > 1:
        paths.append("/topics?page=2")
    picked = [site["hot"], site["edited"]] + [topics[i * len(topics) // 12] for i in range(12)]
    paths += [f"/topics/{slug}" for slug in dict.fromkeys(picked)]
    if examples:
        picked = [examples[i * len(examples) // 6] for i in range(6)]
        paths += [f"/examples/{slug}" for slug in dict.fromkeys(picked)]
    both = [p for path in paths for p in (path, "/en/" if path == "/" else "/en" + path)]
    return (both * (count // len(both) + 1))[:count]


class SizeScripts:
    """The Lua scripts of one size, written once its server answers (page counts by HTTP)."""

    def __init__(self, workdir, size, site, port, timeout, syllables, wanted):
        self.workdir = workdir
        self.site = site
        slugs = site["slugs"]
        self.paths = {}
        self.scripts = {}
        if "search_names" in wanted:
            self.scripts["search_names"] = write_search_names_script(
                workdir / "search_names.lua", syllables
            )
        pages = {"topics": 1, "examples": 1}
        if {"cold_list", "edit_load"} & wanted:
            pages = {name: last_page(port, f"/{name}", timeout) for name in pages}
        self.pages = pages
        cold = {
            "cold_topic": [f"/topics/{s}" for s in slugs["topic"]],
            "cold_example": [f"/examples/{s}" for s in slugs["example"]],
            "cold_list": [
                f"/{name}" + (f"?page={n}" if n > 1 else "")
                for name, count in pages.items()
                for n in range(1, count + 1)
            ],
        }
        for name, paths in cold.items():
            if name in wanted and paths:
                self.scripts[name] = write_random_paths_script(
                    workdir / f"{name}-{size}.lua", paths
                )
        if "edit_load" in wanted and site["edited"]:
            self.paths["mix"] = mix_paths(site, pages)
            self.scripts["mix"] = write_cycle_script(workdir / f"mix-{size}.lua", self.paths["mix"])
        rng = secrets.SystemRandom()
        self.values = {
            "random_topic": rng.choice(slugs["topic"]),
            "random_example": rng.choice(slugs["example"] or slugs["topic"]),
            "last_page": pages["topics"],
        }


# ---------------------------------------------------------------------------
# Running a scenario
# ---------------------------------------------------------------------------


def make_row(backend, size, scenario, path, connections, result, note, status, variant=""):
    result = result or {}
    return {
        "backend": backend,
        "size": size,
        "scenario": scenario,
        "variant": variant,
        "path": path,
        "connections": connections,
        "rps": result.get("rps"),
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
        "ratio": None,  # to hello: compute_ratios(), once the last baseline is in
        "ratio_hello_304": None,
        "ref": None,  # {"scenario", "variant"} of the row this one is compared with
        "ratio_ref": None,
        "raw": result.get("raw"),
    }


def first_request(port, path, headers, timeout, name):
    """(status, headers, body, ms) of the first GET: it renders (and caches) the page."""
    try:
        started = time.monotonic()
        status, response_headers, body = http_get(port, path, headers, timeout=timeout)
        return status, response_headers, body, (time.monotonic() - started) * 1000
    except TimeoutError as e:
        raise ScenarioStuck(name) from e
    except OSError as e:
        raise BenchError(f"{name}: GET {path} failed: {e}") from e


def header_dict(lines):
    return dict(line.split(": ", 1) for line in lines)


def run_scenario(ctx, scenario, scripts):
    """Rows of one scenario (and its variants) at each connection count."""
    args = ctx.args
    path = scenario.path.format(**scripts.values)
    variants = [Variant(scenario.name, "")]
    if ctx.largest:
        variants += list(scenario.variants)
    headers = {v: list(v.headers) for v in variants}
    notes, statuses, first = {}, {}, {}
    for v in variants:
        status, response_headers, body, ms = first_request(
            ctx.port, path, header_dict(v.headers), args.first_request_timeout, scenario.name
        )
        label = v.scenario + (f"/{v.variant}" if v.variant else "")
        log(f"  {label:<24} first request: HTTP {status} in {ms:.0f} ms, {len(body)} bytes")
        notes[v] = "" if status == 200 else f"HTTP {status}"
        statuses[v], first[v] = status, (ms, len(body))
        if scenario.conditional:
            etag = response_headers.get("ETag") or response_headers.get("Etag")
            if not etag:
                log(f"  {scenario.name}: {path} answered without an ETag; skipped")
                note = f"no ETag (HTTP {status})"
                return [
                    make_row(ctx.backend, ctx.size, scenario.name, path, None, None, note, status)
                ]
            headers[v].append(f"If-None-Match: {etag}")
            status = http_get(ctx.port, path, {"If-None-Match": etag})[0]
            notes[v] = "" if status == 304 else f"HTTP {status}, not 304"
            statuses[v] = status
    script = scripts.scripts.get(scenario.script) if scenario.script else None
    if scenario.script and script is None:
        note = "nothing to request at this size"
        return [make_row(ctx.backend, ctx.size, scenario.name, path, None, None, note, None)]
    if scenario.warm_up and not args.quick:
        run_wrk(ctx.port, path, max(args.connections), 1, headers[variants[0]], script)
    rows = []
    counts = [LATENCY_CONNECTIONS] if scenario.latency else []
    smallest = min(args.connections)
    counts += {"all": args.connections, "smallest": [smallest], "none": []}[scenario.under_load]
    for connections in counts:
        latency = scenario.latency and connections == LATENCY_CONNECTIONS
        judged = (scenario.judged or latency) and (ctx.largest or not scenario.judged_largest)
        runs = args.runs if judged else 1
        present = [v for v in variants if not v.variant or connections == smallest]
        results = {v: [] for v in present}
        for _ in range(runs):  # in turn, so a variant and its reference share the machine
            for v in present:
                results[v].append(
                    run_wrk(ctx.port, path, connections, args.duration, headers[v], script)
                )
        for v in present:
            result = median_run(results[v], "p99_ms" if latency else "rps")
            row = make_row(
                ctx.backend,
                ctx.size,
                v.scenario,
                path,
                connections,
                result,
                notes[v],
                statuses[v],
                v.variant,
            )
            row["first_request_ms"] = round(first[v][0], 1)
            row["body_bytes"] = first[v][1]
            if v.variant:
                row["ref"] = {"scenario": scenario.name, "variant": ""}
            rows.append(row)
            several = f" (median of {runs})" if runs > 1 else ""
            label = v.scenario + (f"/{v.variant}" if v.variant else "")
            log(
                f"  {label:<24} c={connections:<3} {result['rps']:>8.0f} req/s  "
                f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  "
                f"errors {result['errors']}{several}{'  ' + notes[v] if notes[v] else ''}"
            )
    return rows


# ---------------------------------------------------------------------------
# Sitemap: cold, right after the server started
# ---------------------------------------------------------------------------

SITEMAP_REPEATS = 3


def timed_get(port, path, timeout):
    started = time.monotonic()
    status, _, body = http_get(port, path, timeout=timeout)
    return status, body, round((time.monotonic() - started) * 1000, 1)


def measure_sitemap(ctx):
    """/sitemap.xml and its first part (when it is an index): first request, then repeats."""
    out = []
    timeout = ctx.args.first_request_timeout
    targets = [("index", "/sitemap.xml")]
    for which, path in targets:
        status, body, first_ms = timed_get(ctx.port, path, timeout)
        repeats = [timed_get(ctx.port, path, timeout)[2] for _ in range(SITEMAP_REPEATS)]
        text = body.decode("utf-8", "replace")
        kind = "index" if "<sitemapindex" in text else "urlset"
        if which == "index" and kind == "index":
            loc = re.search(r"<loc>([^<]+)</loc>", text)
            if loc:
                child = re.sub(r"^[a-z]+://[^/]+", "", loc.group(1).replace("&amp;", "&"))
                targets.append(("child", child))
        entry = {
            "backend": ctx.backend,
            "size": ctx.size,
            "scenario": "sitemap",
            "variant": which,
            "path": path,
            "status": status,
            "kind": kind,
            "bytes": len(body),
            "urls": text.count("<loc>"),
            "first_ms": first_ms,
            "repeat_ms": repeats,
            "ms": statistics.median(repeats),
        }
        log(
            f"  sitemap {which:<5} {path}: HTTP {status}, {kind}, {len(body)} bytes, "
            f"first {first_ms} ms, then {', '.join(f'{m:g}' for m in repeats)} ms"
        )
        out.append(entry)
    return out


@dataclass
class SizeContext:
    """What a scenario needs of the size it runs at."""

    args: object
    backend: str
    size: int
    port: int
    largest: bool
    workdir: object
    site: dict
    server: object
