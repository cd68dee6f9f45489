"""HTTP caching for anonymous readers: ETags from the content generation, 304s, and
rendered pages kept in memory per generation.

Every content change bumps ``content_state.generation`` in its own transaction. Each
process reads the generation at most once per ``pybackend.generation_ttl`` seconds
(and at once after its own commits), so an edit reaches every process within that time.
"""

import collections
import datetime as dt
import email.utils
import hashlib
import threading
import time

from pyramid.response import Response
from pyramid.settings import asbool
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..models.content_state import on_generation_committed

PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
PRIVATE_CACHE_CONTROL = "private, no-store"
SESSION_COOKIE = "pybackend_session"
STATIC_PREFIX = "/static/"

# Routes whose pages are the same for every anonymous reader.
_cacheable_routes = set()


def cacheable_route(name):
    _cacheable_routes.add(name)


class GenerationClock:
    """The current (generation, changed_at), re-read from the database at most once per ttl."""

    def __init__(self, engine, ttl):
        self.engine = engine
        self.ttl = ttl
        self._state = None  # (generation, changed_at, read_at)

    def current(self):
        state = self._state
        now = time.monotonic()
        if state is None or now - state[2] >= self.ttl:
            with self.engine.connect() as connection:
                row = connection.execute(
                    text("SELECT generation, changed_at FROM content_state WHERE id = 1")
                ).one()
            changed_at = row.changed_at
            if isinstance(changed_at, str):  # SQLite without type information
                changed_at = dt.datetime.fromisoformat(changed_at)
            if changed_at.tzinfo is None:
                changed_at = changed_at.replace(tzinfo=dt.UTC)
            state = (row.generation, changed_at, now, http_date(changed_at))
            self._state = state
        return state[0], state[1]

    def last_modified(self):
        """The Last-Modified value of the generation current() last returned."""
        return self._state[3]

    def invalidate(self):
        self._state = None


class PageCache:
    """Rendered responses by URL, for one generation at a time; LRU within a byte budget."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._entries = collections.OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key, generation):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] != generation:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key, generation, status, headerlist, body):
        size = len(body) + len(key) + 200
        if size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (generation, status, headerlist, body)
            self._size += size
            while self._size > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def _drop(self, key):
        generation, status, headerlist, body = self._entries.pop(key)
        self._size -= len(body) + len(key) + 200

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self):
        return len(self._entries)


def http_date(moment):
    return email.utils.format_datetime(
        moment.astimezone(dt.UTC).replace(microsecond=0), usegmt=True
    )


def etag_for(generation, key):
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return f"g{generation}-{digest}"


def _cache_key(environ):
    # Raw PATH_INFO and QUERY_STRING: the key must not fail where decoding would.
    query = environ.get("QUERY_STRING", "")
    return environ.get("PATH_INFO", "/") + ("?" + query if query else "")


def is_api_path(request):
    """Whether the request is for the JSON API (raw PATH_INFO: it never fails to decode)."""
    path = request.environ.get("PATH_INFO", "")
    return path == "/api" or path.startswith("/api/")


def is_anonymous(request):
    # The raw header, not a parsed cookie jar: this runs on every request. A cookie whose
    # name merely ends like ours counts as a session too, which only means less caching.
    return SESSION_COOKIE + "=" not in request.environ.get("HTTP_COOKIE", "")


def page_cache_tween_factory(handler, registry):
    settings = registry.settings
    clock = GenerationClock(
        registry["dbengine"], float(settings.get("pybackend.generation_ttl", 1))
    )
    on_generation_committed(clock.invalidate)
    pages = PageCache(int(settings.get("pybackend.page_cache_bytes", 32 * 1024 * 1024)))
    store_pages = asbool(settings.get("pybackend.page_cache", True))
    registry["generation_clock"] = clock
    registry["page_cache"] = pages

    def page_cache_tween(request):
        if request.environ.get("PATH_INFO", "").startswith(STATIC_PREFIX):
            # Static files have their own validators (file times) and caching headers;
            # the content generation says nothing about them.
            return handler(request)
        if request.method not in ("GET", "HEAD") or not is_anonymous(request):
            return _private(handler(request))
        try:
            generation, changed_at = clock.current()
        except SQLAlchemyError:
            # The database is away: let the view answer (503) as it would.
            return handler(request)
        key = _cache_key(request.environ)
        etag = etag_for(generation, key)
        if _still_fresh(request, etag, changed_at):
            headerlist = [
                ("ETag", f'"{etag}"'),
                ("Last-Modified", clock.last_modified()),
                *_NOT_MODIFIED_HEADERS,
            ]
            if is_api_path(request):
                # The API is readable from any origin, its revalidations included.
                headerlist.append(("Access-Control-Allow-Origin", "*"))
            # A 304 has no body and no Content-Type; built from a list, as it is the
            # cheapest answer we give and the most frequent one behind a proxy.
            return Response(status="304 Not Modified", headerlist=headerlist)
        if store_pages:
            entry = pages.get(key, generation)
            if entry is not None:
                _, status, headerlist, body = entry
                return Response(status=status, headerlist=list(headerlist), body=body)

        response = handler(request)
        route = request.matched_route
        if (
            response.status_int == 200
            and route is not None
            and route.name in _cacheable_routes
            and request.exception is None
            and "Set-Cookie" not in response.headers
        ):
            _public(response, etag, changed_at)
            if store_pages and request.method == "GET":
                pages.put(
                    key, generation, response.status, tuple(response.headerlist), response.body
                )
        elif response.status_int >= 400 and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    return page_cache_tween


def _public(response, etag, changed_at):
    response.etag = etag
    response.last_modified = changed_at
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    response.vary = ("Cookie",)


def _private(response):
    response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
    return response


_NOT_MODIFIED_HEADERS = (("Cache-Control", PUBLIC_CACHE_CONTROL), ("Vary", "Cookie"))


def _still_fresh(request, etag, changed_at):
    """Whether the client's copy is current: its If-None-Match, else If-Modified-Since."""
    if_none_match = request.environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        # Our ETags are quoted tokens without commas or quotes; "*" matches any.
        return f'"{etag}"' in if_none_match or if_none_match.strip() == "*"
    if request.if_modified_since:
        return request.if_modified_since >= changed_at.replace(microsecond=0)
    return False


def includeme(config):
    # Outside pyramid_tm: a cache hit or a 304 costs no transaction and no query.
    config.add_tween(
        "pybackend.services.cache.page_cache_tween_factory", over="pyramid_tm.tm_tween_factory"
    )
