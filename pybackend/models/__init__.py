import transaction
import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import configure_mappers, sessionmaker

from ..config import database_url

# Import every model so that configure_mappers() and Alembic see them all.
from .audit import AuditEntry, Revision  # noqa: F401
from .content_state import ContentState  # noqa: F401
from .item import Example, Item, ItemText, SlugHistory, Topic  # noqa: F401
from .link import Link, Reference  # noqa: F401
from .meta import Base  # noqa: F401
from .page import CacheTag, RenderedPage  # noqa: F401
from .search import SearchAlias, SearchDocument  # noqa: F401
from .source import Fact, Source  # noqa: F401
from .user import LoginAttempt, User, UserSession  # noqa: F401

configure_mappers()


def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers go on while a writer commits; the busy timeout makes a
    # writer wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def get_engine(settings, prefix="sqlalchemy."):
    settings = dict(settings)
    settings[prefix + "url"] = database_url(settings)
    options = {}
    if settings[prefix + "url"].startswith("postgresql"):
        # Notice a restarted database on checkout instead of failing a request.
        options["pool_pre_ping"] = True
    engine = engine_from_config(settings, prefix, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
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
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    dbengine = settings.get("dbengine")
    if not dbengine:
        dbengine = get_engine(settings)
    session_factory = get_session_factory(dbengine)
    config.registry["dbengine"] = dbengine
    config.registry["dbsession_factory"] = session_factory

    def dbsession(request):
        # Tests hand in a session bound to a transaction they roll back.
        session = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request=request)
        return session

    config.add_request_method(dbsession, reify=True)
