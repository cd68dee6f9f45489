"""Probes for the process manager and the load balancer."""

import concurrent.futures
import threading

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text

from ..api_spec import RETRY_AFTER_SECONDS
from ..faults import UNAVAILABLE

# /readyz answers within this many seconds, whatever the database does.
READY_TIMEOUT = 1.5


@view_config(
    route_name="healthz",
    renderer="json",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD"),
)
def healthz(request):
    """The process is up; says nothing of the database, and never asks it."""
    request.response.cache_control = "no-store"
    return {"status": "ok"}


class ReadinessCheck:
    """The primary's state in a thread of its own, waited for at most READY_TIMEOUT seconds:
    ok, read-only (a standby, where no edit or login can commit) or unreachable.

    A database that hangs (frozen, or a socket that never answers) would otherwise hold
    the probe for the whole connect and statement timeouts. One check runs at a time:
    probes that come while it runs wait for the same answer, so a hung database costs
    one thread, not one per probe.
    """

    def __init__(self, engine):
        self.engine = engine
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "pybackend-readyz")
        self._lock = threading.Lock()
        self._running = None

    def _check(self):
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":
                if connection.execute(text("SELECT pg_is_in_recovery()")).scalar():
                    return "read-only"
            else:
                connection.execute(text("SELECT 1"))
        return "ok"

    def state(self, timeout=READY_TIMEOUT):
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(self._check)
            running = self._running
        try:
            return running.result(timeout=timeout)
        except (concurrent.futures.TimeoutError, *UNAVAILABLE):
            return "unreachable"

    def ready(self, timeout=READY_TIMEOUT):
        return self.state(timeout) == "ok"


def readiness(request):
    registry = request.registry
    check = registry.get("readiness_check")
    if check is None:
        check = registry.setdefault("readiness_check", ReadinessCheck(registry["dbengine"]))
    return check


@view_config(
    route_name="readyz",
    renderer="json",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD"),
)
def readyz(request):
    """The primary database answers and takes writes: route traffic here.

    A read replica is reported but never makes the process unready: without it, reads go
    to the primary.
    """
    request.response.cache_control = "no-store"
    state = readiness(request).state()
    body = {"status": "ok" if state == "ok" else "unavailable", "database": state}
    replica = request.registry.get("replica")
    if replica is not None:
        replica.usable()  # starts the monitor in a process that has served nothing yet
        body["replica"] = replica.report()
    if state != "ok":
        request.response.status_int = 503
        request.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return body
