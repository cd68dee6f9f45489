import math

import transaction
import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import configure_mappers, sessionmaker

from ..config import database_url
from . import replica as replica_reads
from . import watchdog

# Import every model so that configure_mappers() and Alembic see them all.
from .audit import AuditEntry, Revision  # noqa: F401
from .content_state import ContentState  # noqa: F401
from .editor_tools import (  # noqa: F401
    Image,
    ImageUse,
    PreviewLink,
    RecoveryCode,
    TwoFactor,
)
from .editorial import Autosave, ReviewRequest, Schedule, SiteSetting  # noqa: F401
from .item import Example, Item, ItemText, SlugHistory, Topic  # noqa: F401
from .link import Link, Reference, UnresolvedLink  # noqa: F401
from .meta import Base  # noqa: F401
from .page import CacheTag, RenderedPage  # noqa: F401
from .search import SearchAlias, SearchDocument  # noqa: F401
from .source import Fact, Source  # noqa: F401
from .user import LoginAttempt, User, UserSession  # noqa: F401

configure_mappers()


# Bounded waits on the database (README, "Timeouts and outages"): seconds, each an ini
# setting. No request waits more than about 10 s on the database; it then gets a 503.
TIMEOUT_DEFAULTS = {
    "pybackend.db.connect_timeout": 3.0,  # opening a connection (TCP and login)
    "pybackend.db.statement_timeout": 8.0,  # one statement (PostgreSQL statement_timeout)
    "pybackend.db.pool_timeout": 3.0,  # waiting for a free connection in the pool
    "pybackend.db.busy_timeout": 5.0,  # SQLite: waiting for another writer's lock
}


def timeouts(settings):
    """The four database timeouts in seconds, from the settings or their defaults."""
    values = {}
    for name, default in TIMEOUT_DEFAULTS.items():
        value = float(settings.get(name) or default)
        if not 0 < value <= 600:
            raise ValueError(f"{name} must be between 0 and 600 seconds, not {value}")
        values[name.rsplit(".", 1)[1]] = value
    return values


def _sqlite_pragmas(busy_timeout):
    def set_pragmas(dbapi_connection, connection_record):
        # WAL lets readers go on while a writer commits; the busy timeout makes a
        # writer wait for the lock instead of failing at once, and not for longer.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return set_pragmas


def get_engine(settings, prefix="sqlalchemy."):
    settings = dict(settings)
    settings[prefix + "url"] = database_url(settings)
    limits = timeouts(settings)
    settings.pop(prefix + "replica_url", None)  # models/replica.py makes that engine
    options = {}
    if settings[prefix + "url"].startswith("postgresql"):
        # Notice a restarted database on checkout instead of failing a request.
        options["pool_pre_ping"] = True
        options["connect_args"] = {
            # libpq counts whole seconds, at least 2.
            "connect_timeout": max(2, math.ceil(limits["connect_timeout"])),
            "options": f"-c statement_timeout={int(limits['statement_timeout'] * 1000)}",
            # A peer that vanished (host down, cable cut) is noticed in seconds.
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
        }
    else:
        # sqlite3's own timeout is the busy timeout too; the pragma below keeps them equal.
        options["connect_args"] = {"timeout": limits["busy_timeout"]}
    engine = engine_from_config(settings, prefix, **options)
    if hasattr(engine.pool, "_timeout"):
        # Set here, not as pool_timeout=: engine_from_config rounds that down to whole
        # seconds (0.5 became 0, a pool that never waits). dispose() keeps it.
        engine.pool._timeout = limits["pool_timeout"]
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(limits["busy_timeout"]))
    watchdog.install(engine, limits["statement_timeout"] + 1)
    return engine


def get_session_factory(engine):
    factory = sessionmaker(expire_on_commit=False)
    factory.configure(bind=engine)
    # Joined to the thread-local transaction manager once, here, rather than per
    # request: registering costs ~12 % of a cheap page (docs/performance.md).
    zope.sqlalchemy.register(factory, transaction_manager=transaction.manager)
    return factory


def get_tm_session(session_factory, request=None):
    """A session joined to ``transaction.manager``; pyramid_tm or the caller commits."""
    info = {"request": request} if request is not None else {}
    return session_factory(info=info)


def includeme(config):
    settings = config.get_settings()
    # pyramid_tm commits or aborts each request; pyramid_retry re-runs a request
    # whose transaction failed with a retryable error (serialization, deadlock).
    # pyramid_tm would look up the user to annotate each transaction, outside the layer
    # that turns a database error into a 503: with the database down, every request with a
    # session cookie was a bare 500. Nothing reads the annotation.
    config.add_settings({"tm.annotate_user": False})
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    dbengine = settings.get("dbengine")
    if not dbengine:
        dbengine = get_engine(settings)
    session_factory = get_session_factory(dbengine)
    config.registry["dbengine"] = dbengine
    config.registry["dbsession_factory"] = session_factory
    # Anonymous reads may go to a streaming replica (models/replica.py; services/cache.py
    # decides per request). Its sessions are read-only and have no page-store hooks.
    monitor = replica_reads.setup(config, dbengine)
    replica_factory = get_session_factory(monitor.engine) if monitor is not None else None

    def dbsession(request):
        # Tests hand in a session bound to a transaction they roll back.
        session = request.environ.get("app.dbsession")
        if session is None:
            factory = session_factory
            if replica_factory is not None and replica_reads.reads_from_replica(request):
                factory = replica_factory
            session = get_tm_session(factory, request=request)
        return session

    config.add_request_method(dbsession, reify=True)
