"""The page store: item pages rendered on write, read back by one primary-key lookup.

``rendered_pages`` holds the anonymous HTML of every public item page, compressed, with
its ETag, the time of its last change, its surrogate keys and the build (templates and
catalogs) that made it. A page of another build is not served: it is rendered live until
``pybackend-content render`` or the next edit stores it again (services/pages.py).
"""

import contextlib
import sys
import threading
import zlib

from sqlalchemy import bindparam, select

from ..faults import UNAVAILABLE
from ..models import RenderedPage
from ..models.replica import READ_FROM_REPLICA
from .clock import aware
from .page_memory import Entry, entry_headers

_STORED = select(
    RenderedPage.body,
    RenderedPage.content_type,
    RenderedPage.etag,
    RenderedPage.changed_at,
    RenderedPage.tags,
    RenderedPage.build,
).where(RenderedPage.key == bindparam("key"))


class StoreReader:
    """Stored item pages, read outside any transaction (or in the test's own session)."""

    def __init__(self, engine, build):
        self.engine = engine
        self.build = build
        # models/watchdog.py: a server that stopped answering cannot hold the thread.
        self.watchdog = getattr(engine.dialect, "pybackend_watchdog", None)
        self._local = threading.local()
        # The driver's own cursor: through SQLAlchemy the read cost more than the rest
        # of the request (statement setup, result objects), for one primary-key lookup.
        marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        columns = "body, content_type, etag, changed_at, tags, build"
        self.sql = f"SELECT {columns} FROM rendered_pages WHERE key = {marker}"  # noqa: S608

    def _connection(self):
        # One connection per worker thread, kept out of the pool (whose checkout and
        # reset cost as much as the read) and in autocommit: it never holds a snapshot.
        connection = getattr(self._local, "connection", None)
        if connection is None:
            proxy = self.engine.raw_connection()
            connection = proxy.driver_connection
            proxy.detach()
            if hasattr(connection, "autocommit") and self.engine.dialect.name != "sqlite":
                connection.autocommit = True
            self._local.connection = connection
        return connection

    def _fetch(self, key):
        connection = self._connection()
        try:
            with self.watchdog.watch(connection) if self.watchdog else contextlib.nullcontext():
                cursor = connection.cursor()
                cursor.execute(self.sql, (key,))
                row = cursor.fetchone()
                cursor.close()
        except Exception:
            # A dead connection (the database restarted): the next request opens another.
            self._local.connection = None
            with contextlib.suppress(Exception):
                connection.close()
            raise
        return row

    def load(self, request, key):
        session = request.environ.get("app.dbsession")
        if session is not None:
            row = session.execute(_STORED, {"key": key}).first()
        else:
            row = self._fetch(key)
        if row is None or row[5] != self.build:
            return None
        body = zlib.decompress(row[0])
        # Interned: the same keys (i<id>, any, l:topic) recur in thousands of pages.
        tags = frozenset(map(sys.intern, row[4].split()))
        etag = f'"{row[2]}"'
        content_type = row[1]
        if content_type.startswith("text/") and "charset" not in content_type:
            content_type += "; charset=UTF-8"
        route = ("en." if key.startswith("/en/") else "") + (
            "topic" if "/topics/" in key else "example"
        )
        return Entry(
            "200 OK",
            entry_headers(content_type, etag, tags),
            body,
            etag,
            aware(row[3]),
            tags,
            route,
        )


def load_stored(request, key, replica_store, store):
    """The stored page: from the replica if given (the primary if it fails), or None."""
    if replica_store is not None:
        try:
            return replica_store.load(request, key)
        except Exception:  # noqa: BLE001 (the driver's own errors, not SQLAlchemy's)
            request.registry["replica"].mark_down()
            request.environ[READ_FROM_REPLICA] = False
    try:
        return store.load(request, key)
    except UNAVAILABLE:
        return None
