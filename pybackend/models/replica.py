"""Anonymous reads from a PostgreSQL streaming replica, while it keeps up.

``sqlalchemy.replica_url`` (or ``DATABASE_REPLICA_URL``) names a hot standby. The page
cache tween (services/cache.py) sends an anonymous GET or HEAD there only when
:meth:`ReplicaMonitor.usable` says so; everything else (a request with a session cookie,
every POST, the editors' area, the login form) uses the primary.

The monitor measures the lag without trusting clocks or traffic: each check samples the
primary's WAL position (``pg_current_wal_lsn()``) and asks the replica whether it has
replayed that far. When it has, the replica held everything committed before the sample,
so its lag is at most the time since that sample. An idle primary writes no WAL, the
replica stays caught up and the lag stays near zero (``now() -
pg_last_xact_replay_timestamp()`` would grow without bound there). The check also reads
the replica's content generation (``content_state``): a page whose keys the primary
purged at generation G is read from the replica only once the replica has replayed G, so
no process caches a page from before an edit it has already been told about.
"""

import logging
import os
import threading
import time

from sqlalchemy import engine_from_config, text

from ..config import ConfigurationError, normalize_database_url

log = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "DATABASE_REPLICA_URL"
# Set by the page cache tween on the requests it sends to the replica.
READ_FROM_REPLICA = "pybackend.read_from_replica"
# Paths that always read from the primary, whatever the cookie says.
PRIMARY_PATHS = ("/admin", "/login", "/logout")

_PRIMARY_POSITION = text("SELECT pg_current_wal_lsn()::text")
_REPLICA_STATE = text(
    "SELECT pg_is_in_recovery(), "
    "coalesce(pg_last_wal_replay_lsn() >= CAST(:position AS pg_lsn), false), "
    "(SELECT generation FROM content_state WHERE id = 1)"
)


def replica_url(settings):
    url = os.environ.get(ENVIRONMENT_VARIABLE) or settings.get("sqlalchemy.replica_url")
    if not url:
        return None
    url = normalize_database_url(url)
    if not url.startswith("postgresql"):
        raise ConfigurationError("sqlalchemy.replica_url must be a PostgreSQL streaming replica")
    return url


def replica_engine(settings, url):
    """An engine like the primary's (same pool settings), for the replica's address."""
    options = {
        key: value
        for key, value in settings.items()
        if key.startswith("sqlalchemy.") and key not in ("sqlalchemy.url", "sqlalchemy.replica_url")
    }
    options["sqlalchemy.url"] = url
    # A replica that does not answer must cost a request or a check seconds, not minutes.
    return engine_from_config(
        options, "sqlalchemy.", pool_pre_ping=True, connect_args={"connect_timeout": 2}
    )


class ReplicaMonitor:
    """Whether the replica may serve a read now: up, a replica, caught up enough."""

    def __init__(self, primary, replica, max_lag=5.0, interval=0.5):
        self.primary = primary
        self.engine = replica
        self.max_lag = max_lag
        self.interval = interval
        self.state = "unknown"  # ok, unreachable, not a replica, primary unreachable
        self.generation = -1  # the newest content generation the replica has replayed
        self.caught_up_at = None  # monotonic time of the last primary position it reached
        self.checked_at = None
        self._thread = None
        self._start_lock = threading.Lock()
        self._wake = threading.Event()

    # -- measuring ---------------------------------------------------------------------

    def check(self):
        """Measure once: the state, the generation and the time the replica last caught up."""
        sampled = time.monotonic()
        try:
            with self.primary.connect() as connection:
                position = connection.execute(_PRIMARY_POSITION).scalar()
        except Exception as exc:  # noqa: BLE001 (any failure means: do not measure now)
            self._set("primary unreachable", exc)
            return self.state
        try:
            with self.engine.connect() as connection:
                in_recovery, caught_up, generation = connection.execute(
                    _REPLICA_STATE, {"position": position}
                ).one()
        except Exception as exc:  # noqa: BLE001
            self._set("unreachable", exc)
            return self.state
        self.checked_at = time.monotonic()
        if not in_recovery:
            # Promoted, or the primary by mistake: another timeline, not a copy of ours.
            self._set("not a replica")
            return self.state
        if caught_up:
            self.caught_up_at = sampled
        self.generation = generation or 0
        if self.state != "ok":
            log.info("read replica available")
        self.state = "ok"
        return self.state

    def _set(self, state, exc=None):
        if state != self.state:
            log.warning("read replica not used: %s%s", state, f" ({exc})" if exc else "")
        self.state = state
        self.caught_up_at = None
        self.generation = -1

    def mark_down(self):
        """A read on the replica failed: use the primary until a check finds it again."""
        self._set("unreachable")
        self._wake.set()

    def lag(self):
        """Seconds of commits the replica may miss (an upper bound), or None if unknown."""
        if self.caught_up_at is None:
            return None
        return max(0.0, time.monotonic() - self.caught_up_at)

    # -- deciding ----------------------------------------------------------------------

    def usable(self, generation=None):
        """Whether a read may go to the replica; ``generation``: what it must have replayed."""
        self._ensure_running()
        if self.state != "ok":
            return False
        lag = self.lag()
        if lag is None or lag > self.max_lag:
            return False
        return generation is None or self.generation >= generation

    def report(self):
        """For /readyz."""
        lag = self.lag()
        return {
            "state": self.state if lag is None or lag <= self.max_lag else "lagging",
            "lag_seconds": None if lag is None else round(lag, 3),
            "generation": self.generation if self.generation >= 0 else None,
        }

    # -- the checking thread -----------------------------------------------------------

    def _ensure_running(self):
        # Started by the first request, in the serving process (after any fork).
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="replica-monitor", daemon=True
                )
                self._thread.start()

    def _run(self):
        while True:
            self.check()
            self._wake.wait(self.interval)
            self._wake.clear()


def reads_from_replica(request):
    """Whether this request's database session is the replica's (the tween decided)."""
    return bool(request.environ.get(READ_FROM_REPLICA))


def setup(config, primary_engine):
    """The replica's engine and monitor in the registry, or None without a replica."""
    settings = config.get_settings()
    url = replica_url(settings)
    if url is None:
        return None
    monitor = ReplicaMonitor(
        primary_engine,
        replica_engine(settings, url),
        max_lag=float(settings.get("pybackend.replica_max_lag", 5)),
        interval=float(settings.get("pybackend.replica_check_interval", 0.5)),
    )
    config.registry["replica"] = monitor
    return monitor
