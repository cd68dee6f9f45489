"""Prometheus metrics (prometheus_client), one set per application.

Several waitress processes on one machine share a directory (``pybackend.metrics_dir``, or
``PROMETHEUS_MULTIPROC_DIR``): each writes its values there, and whichever process
answers ``/metrics`` reports the sum over all of them. Behind a balancer a scrape reaches
any one process, so per-process series would be a random one of them each time; with
the directory, one scrape per machine sees all of it. Without the directory, the numbers
are this process's own.
"""

import atexit
import contextlib
import glob
import os
import re
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

from ..config import ConfigurationError

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60)
CACHE_OUTCOMES = ("hit", "store", "miss", "304", "bypass")
SEARCH_LANGUAGES = frozenset(("id", "en"))
_LIVE_FILE = re.compile(r"^gauge_live\w+?_(\d+)\.db$")


def _use_directory(path):
    """Switch prometheus_client to files in ``path`` (before any metric is made)."""
    if not os.path.isdir(path):
        raise ConfigurationError(f"pybackend.metrics_dir: {path!r} is not a directory")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    if values.ValueClass.__name__ != "MmapedValue":  # not yet in multiprocess mode
        values.ValueClass = values.MultiProcessValue()
    _forget_dead_processes(path)
    atexit.register(multiprocess.mark_process_dead, os.getpid(), path)


def _forget_dead_processes(path):
    """Drop the live gauges of processes that are gone (killed, so they could not say so)."""
    for name in os.listdir(path):
        match = _LIVE_FILE.match(name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            for stale in glob.glob(os.path.join(path, f"gauge_live*_{pid}.db")):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(stale)
        except PermissionError:
            pass  # alive, someone else's


class Metrics:
    def __init__(self, directory=None):
        self.directory = directory
        if directory:
            _use_directory(directory)
            registry = None  # values live in the files; collect() reads them all
        else:
            registry = self.registry = CollectorRegistry()
        # One histogram for both: its _count is the requests by route and status, and one
        # observation per request is half the locking of a counter beside a histogram.
        self.requests = Histogram(
            "pybackend_request_duration_seconds",
            "Requests by route and status, and the time from reaching the app to the response",
            ("route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.cache = Counter(
            "pybackend_page_cache",
            "Page cache outcomes: hit (memory), store (rendered_pages), miss (rendered), "
            "304, bypass (not cacheable)",
            ("outcome",),
            registry=registry,
        )
        self.pool_checked_out = Gauge(
            "pybackend_db_pool_checked_out",
            "Database connections in use",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_idle = Gauge(
            "pybackend_db_pool_idle",
            "Database connections open in the pool, not in use",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.invalidation_lag = Histogram(
            "pybackend_invalidation_lag_seconds",
            "Time from an edit recording its keys in cache_tags to this process purging them",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.search = Histogram(
            "pybackend_search_duration_seconds",
            "Time a full-text search takes, by language",
            ("lang",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._children = {}
        self._pool_seen = (None, None)

    def request(self, route, status, seconds, cache):
        """Count one answered request (children cached: labels() takes a lock)."""
        key = (route, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.requests.labels(route, str(status))
        child.observe(seconds)
        if cache is not None:
            cached = self._children.get(cache)
            if cached is None:
                cached = self._children[cache] = self.cache.labels(cache)
            cached.inc()

    def pool(self, pool):
        """The pool's use now; written only when it changed."""
        checked_out = getattr(pool, "checkedout", None)
        idle = getattr(pool, "checkedin", None)
        if checked_out is None or idle is None:
            return  # a pool that does not count (NullPool, StaticPool)
        seen = (checked_out(), idle())
        if seen != self._pool_seen:
            self._pool_seen = seen
            self.pool_checked_out.set(seen[0])
            self.pool_idle.set(seen[1])

    @contextlib.contextmanager
    def timing_search(self, lang):
        start = time.perf_counter()
        try:
            yield
        finally:
            label = lang if lang in SEARCH_LANGUAGES else "other"  # bounded label values
            self.search.labels(label).observe(time.perf_counter() - start)

    def exposition(self):
        """(body, content type) of the text format, summed over processes when shared."""
        if self.directory:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.directory)
        else:
            registry = self.registry
        return generate_latest(registry), CONTENT_TYPE_LATEST
