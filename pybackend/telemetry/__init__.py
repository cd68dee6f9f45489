"""What each request did: one access-log line and the Prometheus metrics.

The access log is the logger ``pybackend.access`` (INFO), configured like any other in
the ini's logging sections; every field is also on the record for a JSON formatter
(production.ini uses python-json-logger's). ``/metrics`` answers only the addresses in
``pybackend.metrics_allow`` (views/metrics.py).
"""

import logging
import os
import time

from sqlalchemy import inspect as sa_inspect

from ..proxies import Networks
from ..services.cache import CACHE_OUTCOME, CACHED_ROUTE
from .metrics import Metrics

log = logging.getLogger("pybackend.access")

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}


def printable(text):
    """``text`` with control characters escaped: a path cannot forge a log line."""
    return text.translate(_CONTROL)


def user_id(request):
    """The logged-in user's id if this request already looked it up, else None.

    Never a lookup of its own: the transaction is over, and an anonymous request
    (most of them) never asked.
    """
    row = request.__dict__.get("user_session")
    if row is None:
        return None
    # What the row held when it was loaded: after a rollback (a conflict, an outage) its
    # attributes are expired and reading them would query a session that is gone.
    return sa_inspect(row).dict.get("user_id")


def access_line(request, status, length, seconds, route):
    """Log one line for the request (only when the logger is on: formatting costs)."""
    environ = request.environ
    user = user_id(request)
    fields = {
        "request_id": request.request_id,
        "method": environ.get("REQUEST_METHOD", ""),
        "route": route,
        "path": printable(environ.get("PATH_INFO", "")),
        "status": status,
        "bytes": length,
        "duration_ms": round(seconds * 1000, 2),
        "cache": environ.get(CACHE_OUTCOME, "-"),
        "user": "-" if user is None else user,
        "client_addr": environ.get("REMOTE_ADDR", ""),
    }
    log.info(
        "%(request_id)s %(method)s %(route)s %(path)s %(status)s %(bytes)s "
        "%(duration_ms).1fms %(cache)s %(user)s",
        fields,
        extra=fields,
    )


def telemetry_tween_factory(handler, registry):
    metrics = registry["metrics"]
    pool = registry["dbengine"].pool
    perf_counter = time.perf_counter
    next_pool_look = [0.0]

    def telemetry_tween(request):
        start = perf_counter()
        response = None
        try:
            response = handler(request)
            return response
        finally:
            end = perf_counter()
            status = 500 if response is None else response.status_int
            matched = request.matched_route
            route = matched.name if matched else request.environ.get(CACHED_ROUTE, "-")
            metrics.request(route, status, end - start, request.environ.get(CACHE_OUTCOME))
            if end >= next_pool_look[0]:
                # Once a second is enough for a gauge, and the pool's counters take locks.
                next_pool_look[0] = end + 1.0
                metrics.pool(pool)
            if log.isEnabledFor(logging.INFO):
                length = 0 if response is None else response.content_length or 0
                access_line(request, status, length, end - start, route)

    return telemetry_tween


def observe_search(request, lang):
    """``with observe_search(request, lang):`` around a full-text search."""
    return request.registry["metrics"].timing_search(lang)


def includeme(config):
    settings = config.get_settings()
    directory = settings.get("pybackend.metrics_dir") or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    config.registry["metrics"] = Metrics(directory or None)
    config.registry["metrics_allow"] = Networks.from_setting(
        settings.get("pybackend.metrics_allow"), "pybackend.metrics_allow"
    )
    config.add_route("metrics", "/metrics")
    # Inside the proxy tween (the client address is known), outside everything else.
    config.add_tween(
        "pybackend.telemetry.telemetry_tween_factory",
        under="pybackend.proxies.proxy_tween_factory",
    )
