"""HTTP caching for anonymous readers: per-page validators, 304s, and pages kept in memory
and in the page store until an edit touches what they show.

A page's ETag is a hash of its bytes, so it changes exactly when they do; its
Last-Modified is when what it shows last changed (services/pages.py dates every surrogate
key). Each process keeps rendered pages in memory with their keys and polls
``cache_tags`` at most once per ``pybackend.generation_ttl`` seconds (and at once after
its own commits), dropping only the pages whose keys an edit touched. Item pages missing
from memory come from ``rendered_pages`` (one indexed read) before anything is rendered.
"""

import collections
import contextlib
import datetime as dt
import email.utils
import logging
import math
import re
import sys
import threading
import time
import zlib

from pyramid.response import Response
from pyramid.settings import asbool
from sqlalchemy import bindparam, select, text

from .. import static
from ..faults import UNAVAILABLE
from ..models import CacheTag, RenderedPage
from ..models.replica import PRIMARY_PATHS, READ_FROM_REPLICA
from . import pages, sessions

log = logging.getLogger(__name__)

PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
PRIVATE_CACHE_CONTROL = "private, no-store"
SESSION_COOKIE = sessions.COOKIE_NAME
STATIC_PREFIX = "/static/"
# Uploaded images: named by their content, the same file for everyone, cached for a year.
MEDIA_PREFIX = "/media/"
# More purged keys than this in one poll: cheaper to drop everything.
MAX_PURGE_KEYS = 5000

# Answered without the page cache: the probes, and the metrics (never cached, no database).
_PROBES = frozenset(("/healthz", "/readyz", "/metrics"))
# For the access log and the metrics (telemetry/): what the cache did, and the route of
# a page it answered (no route is matched then).
CACHE_OUTCOME = "pybackend.cache"
CACHED_ROUTE = "pybackend.cached_route"
# Routes whose pages are the same for every anonymous reader.
_cacheable_routes = set()
_ITEM_PATH = re.compile(r"^(?:/en)?/(?:topics|examples)/[a-z0-9]+(?:-[a-z0-9]+)*$")


def cacheable_route(name):
    _cacheable_routes.add(name)


class Entry:
    __slots__ = ("status", "headerlist", "body", "etag", "modified", "tags", "size", "route")

    def __init__(self, status, headerlist, body, etag, modified, tags, route):
        self.status = status
        self.headerlist = headerlist
        self.body = body
        self.etag = etag  # quoted
        # Last-Modified: the change time rounded up to a whole second (see _last_modified).
        self.modified = math.ceil(modified.timestamp()) if modified is not None else None
        self.tags = tags
        self.size = len(body) + 300
        self.route = route  # the route that made it, for the access log and the metrics


class PageCache:
    """Rendered responses by URL, with the surrogate keys they show; LRU within a byte budget.

    A purge looks at every entry's keys instead of keeping an index from key to pages:
    at a few thousand pages of about 14 keys each, that index held a set per key and cost
    about half as much memory as the pages' bodies, and the scan takes well under a
    millisecond, once per poll that finds a change.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._entries = collections.OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        if entry.size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._size += entry.size
            while self._size > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def _drop(self, key):
        entry = self._entries.pop(key)
        self._size -= entry.size

    def purge(self, tags):
        tags = frozenset(tags)
        with self._lock:
            for key in [k for k, e in self._entries.items() if not tags.isdisjoint(e.tags)]:
                self._drop(key)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self):
        return len(self._entries)


class TagClock:
    """Follows ``cache_tags``: which surrogate keys changed since this process last looked."""

    def __init__(self, engine, ttl, pages, observe_lag=None):
        self.engine = engine
        self.ttl = ttl
        self.pages = pages
        # Called with the seconds from each newly seen change to its purge here.
        self.observe_lag = observe_lag
        self.seen = None  # the newest generation whose purges this process applied
        self._checked = 0.0
        self._lock = threading.Lock()
        # Called with the poll's connection after each poll (services/schedule.py).
        self.hooks = []
        self._failed = None  # the error of the last poll, if it failed
        self._attempts = 0

    def sync(self):
        """Apply new purges if the last look is older than the ttl; the generation seen.

        Threads that waited for a poll that failed (the database is away) get its error
        at once instead of each holding the lock for a whole connect timeout in turn; a
        request that comes later tries again.
        """
        if time.monotonic() - self._checked < self.ttl and self.seen is not None:
            return self.seen
        attempt = self._attempts
        with self._lock:
            if self._attempts != attempt and self._failed is not None:
                raise self._failed
            if time.monotonic() - self._checked >= self.ttl or self.seen is None:
                self._attempts += 1
                try:
                    self._poll()
                except UNAVAILABLE as exc:
                    self._failed = exc
                    raise
                self._failed = None
        return self.seen

    def _poll(self):
        with self.engine.connect() as connection:
            if self.seen is None:
                newest = connection.execute(_NEWEST).scalar()
                self.seen = newest or 0
                self.pages.clear()
            else:
                rows = connection.execute(_CHANGED, {"seen": self.seen}).all()
                if rows:
                    tags = [row[0] for row in rows]
                    if "*" in tags or len(tags) > MAX_PURGE_KEYS:
                        self.pages.clear()
                    else:
                        self.pages.purge(tags)
                    self.seen = max(row[1] for row in rows)
                    self._observe(rows)
            for hook in self.hooks:
                try:
                    hook(connection)
                except UNAVAILABLE:
                    log.exception("a cache clock hook failed")
        self._checked = time.monotonic()

    def _observe(self, rows):
        if self.observe_lag is None:
            return
        changes = {}
        for _tag, generation, changed_at in rows:
            changes[generation] = max(changes.get(generation, changed_at), changed_at)
        now = dt.datetime.now(dt.UTC)
        for changed_at in changes.values():
            self.observe_lag(max(0.0, (now - aware(changed_at)).total_seconds()))

    def invalidate(self, tags=None):
        """After this process's own commit: drop those pages now, look again at next use."""
        if tags:
            self.pages.purge(tags)
        self._checked = 0.0


_NEWEST = text("SELECT max(generation) FROM cache_tags")
_CHANGED = text("SELECT tag, generation, changed_at FROM cache_tags WHERE generation > :seen")
_STORED = select(
    RenderedPage.body,
    RenderedPage.content_type,
    RenderedPage.etag,
    RenderedPage.changed_at,
    RenderedPage.tags,
    RenderedPage.build,
).where(RenderedPage.key == bindparam("key"))
_TAG_TIMES = select(CacheTag.changed_at).where(CacheTag.tag.in_(bindparam("tags", expanding=True)))


def http_date(moment):
    return email.utils.format_datetime(
        moment.astimezone(dt.UTC).replace(microsecond=0), usegmt=True
    )


def aware(moment):
    if isinstance(moment, str):  # SQLite without type information
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _cache_key(environ):
    # Raw PATH_INFO and QUERY_STRING: the key must not fail where decoding would. An item
    # page ignores its query string, so ?anything cannot force a render.
    path = environ.get("PATH_INFO", "/")
    if _ITEM_PATH.match(path):
        return path
    query = environ.get("QUERY_STRING", "")
    return path + ("?" + query if query else "")


def is_api_path(request):
    """Whether the request is for the JSON API (raw PATH_INFO: it never fails to decode)."""
    path = request.environ.get("PATH_INFO", "")
    return path == "/api" or path.startswith("/api/")


def is_anonymous(request):
    """No session cookie that could be valid: checked without the database.

    A cookie must carry our signature (an invented or foreign one is anonymous at once)
    and must not be one this process already found dead (expired, logged out).
    """
    header = request.environ.get("HTTP_COOKIE", "")
    if SESSION_COOKIE not in header:
        return True
    signer = request.registry["session_signer"]
    return not any(signer.live(value) for value in sessions.cookie_values(header))


def _last_modified(entry):
    """The Last-Modified header, or None while it would lie in the future.

    Whole seconds, rounded up: a version made in the same second as an earlier one still
    gets a later date than any copy a client can hold, so If-Modified-Since alone never
    keeps a stale 304.
    """
    if entry.modified is None or entry.modified > time.time():
        return None
    return email.utils.formatdate(entry.modified, usegmt=True)


def _still_fresh(request, entry):
    """Whether the client's copy is current: its If-None-Match, else If-Modified-Since."""
    if_none_match = request.environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        # Our ETags are quoted tokens without commas or quotes; "*" matches any.
        return entry.etag in if_none_match or if_none_match.strip() == "*"
    if entry.modified is None or request.environ.get("HTTP_IF_MODIFIED_SINCE") is None:
        return False
    since = request.if_modified_since
    return since is not None and since.timestamp() >= entry.modified and _last_modified(entry)


def _respond(request, entry, outcome):
    request.environ[CACHED_ROUTE] = entry.route
    if _still_fresh(request, entry):
        request.environ[CACHE_OUTCOME] = "304"
        headerlist = [("ETag", entry.etag), ("Cache-Control", PUBLIC_CACHE_CONTROL)]
        modified = _last_modified(entry)
        if modified:
            headerlist.append(("Last-Modified", modified))
        if is_api_path(request):
            # The API is readable from any origin, its revalidations included.
            headerlist.append(("Access-Control-Allow-Origin", "*"))
        # A 304 has no body and no Content-Type; built from a list, as it is the
        # cheapest answer we give and the most frequent one behind a proxy.
        return Response(status="304 Not Modified", headerlist=headerlist)
    request.environ[CACHE_OUTCOME] = outcome
    headerlist = list(entry.headerlist)
    modified = _last_modified(entry)
    if modified:
        headerlist.append(("Last-Modified", modified))
    return Response(status=entry.status, headerlist=headerlist, body=entry.body)


def _headers(content_type, etag, tags):
    return (
        ("Content-Type", content_type),
        ("ETag", etag),
        ("Cache-Control", PUBLIC_CACHE_CONTROL),
        # For a CDN or Varnish to purge by item (README, "Caching").
        ("Surrogate-Key", " ".join(sorted(tags))),
    )


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
            "200 OK", _headers(content_type, etag, tags), body, etag, aware(row[3]), tags, route
        )


def _load_stored(request, key, replica_store, store):
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


def page_cache_tween_factory(handler, registry):
    settings = registry.settings
    engine = registry["dbengine"]
    memory = PageCache(int(settings.get("pybackend.page_cache_bytes", 32 * 1024 * 1024)))
    keep_in_memory = asbool(settings.get("pybackend.page_cache", True))
    use_store = asbool(settings.get("pybackend.page_store", True))
    metrics = registry.get("metrics")
    clock = TagClock(
        engine,
        float(settings.get("pybackend.generation_ttl", 1)),
        memory,
        observe_lag=metrics.invalidation_lag.observe if metrics is not None else None,
    )
    clock.hooks.extend(registry.get("tag_clock_hooks", ()))
    store = StoreReader(engine, registry["pybackend.build"])
    replica = registry.get("replica")  # models/replica.py, or None
    replica_store = StoreReader(replica.engine, registry["pybackend.build"]) if replica else None
    built_at = registry["pybackend.built_at"]
    pages.on_commit(registry["dbsession_factory"], clock.invalidate)
    registry["tag_clock"] = clock
    registry["page_cache"] = memory

    def last_change(request, tags):
        """When what the page shows last changed: the items it dates, then the other keys."""
        times = [built_at, *(t for t in request.page_tags.values() if t is not None)]
        undated = [tag for tag, t in request.page_tags.items() if t is None]
        if undated:
            session = request.environ.get("app.dbsession") or request.dbsession
            times.extend(aware(t) for t in session.scalars(_TAG_TIMES, {"tags": undated}))
        return max(aware(t) for t in times)

    def page_cache_tween(request):
        environ = request.environ
        path = environ.get("PATH_INFO", "")
        environ[CACHE_OUTCOME] = "bypass"  # until a stored or kept page answers
        if path.startswith(STATIC_PREFIX):
            # Static files have their own validators (file times) and caching headers.
            return static.cache_headers(request, handler(request))
        if path.startswith(MEDIA_PREFIX) or path in _PROBES:
            # Images have their own (content-hashed names); the probes must answer
            # without waiting on the database.
            return handler(request)
        if request.method not in ("GET", "HEAD") or not is_anonymous(request):
            return _private(handler(request))
        try:
            seen = clock.sync()
        except UNAVAILABLE:
            # The database is away: let the view answer (503, or the login form, which
            # needs no database) as it would.
            return _uncached(handler(request))
        # A replica serves this read only once it has replayed every purge applied here
        # (generation ``seen``): what it renders or stores is then never older than that.
        environ[READ_FROM_REPLICA] = from_replica = (
            replica is not None and not path.startswith(PRIMARY_PATHS) and replica.usable(seen)
        )
        key = _cache_key(environ)
        entry = memory.get(key) if keep_in_memory else None
        outcome = "hit"
        if entry is None and use_store and _ITEM_PATH.match(key):
            outcome = "store"
            entry = _load_stored(request, key, replica_store if from_replica else None, store)
            if entry is not None and keep_in_memory and clock.seen == seen:
                memory.put(key, entry)
        if entry is not None:
            return _respond(request, entry, outcome)

        response = handler(request)
        route = request.matched_route
        if (
            response.status_int == 200
            and route is not None
            and route.name in _cacheable_routes
            and request.exception is None
            and "Set-Cookie" not in response.headers
        ):
            body = response.body
            tags = frozenset(map(sys.intern, request.page_tags))
            etag = f'"{pages.body_etag(body)}"'
            entry = Entry(
                response.status,
                _headers(response.headers["Content-Type"], etag, tags)
                + tuple(
                    (name, value)
                    for name, value in response.headerlist
                    if name not in _REPLACED_HEADERS
                ),
                body,
                etag,
                last_change(request, tags),
                tags,
                route.name,
            )
            if keep_in_memory and request.method == "GET" and clock.seen == seen:
                memory.put(key, entry)
            return _respond(request, entry, "miss")
        return _uncached(response)

    return page_cache_tween


def _uncached(response):
    if "Cache-Control" not in response.headers:
        # Errors, redirects, the login form, probes: nothing a cache should keep.
        response.headers["Cache-Control"] = "no-store"
    return response


_REPLACED_HEADERS = frozenset(
    ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Vary")
)


def _private(response):
    response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
    return response


def page_tags(request):
    """Surrogate key -> when it last changed (None: look it up), for the page being made."""
    return {}


def show(request, tag, changed_at=None):
    """The page being rendered shows ``tag`` (services/pages.py names them)."""
    tags = request.page_tags
    if changed_at is not None:
        previous = tags.get(tag)
        tags[tag] = changed_at if previous is None else max(previous, changed_at)
    else:
        tags.setdefault(tag, None)


def includeme(config):
    config.include(".pages")
    config.include(".schedule")
    config.add_request_method(page_tags, reify=True)
    config.add_request_method(show)
    # Outside pyramid_tm: a cache hit or a 304 costs no transaction and no query.
    config.add_tween(
        "pybackend.services.cache.page_cache_tween_factory", over="pyramid_tm.tm_tween_factory"
    )
