"""HTTP caching for anonymous readers: per-page validators, 304s, and pages kept in memory
and in the page store until an edit touches what they show.

A page's ETag is a hash of its bytes, so it changes exactly when they do; its
Last-Modified is when what it shows last changed (services/pages.py dates every surrogate
key). Each process keeps rendered pages in memory with their keys and drops only the
pages whose keys an edit touched (services/page_memory.py). Item pages missing from
memory come from ``rendered_pages`` (one indexed read, services/page_store.py) before
anything is rendered. This module is the tween that puts those together.
"""

import email.utils
import logging
import re
import sys
import time

from pyramid.response import Response
from pyramid.settings import asbool
from sqlalchemy import bindparam, select

from .. import static
from ..faults import UNAVAILABLE
from ..models import CacheTag
from ..models.replica import PRIMARY_PATHS, READ_FROM_REPLICA
from . import pages, sessions
from .clock import aware
from .page_memory import PUBLIC_CACHE_CONTROL, Entry, PageCache, TagClock, entry_headers
from .page_store import StoreReader, load_stored

log = logging.getLogger(__name__)

PRIVATE_CACHE_CONTROL = "private, no-store"
SESSION_COOKIE = sessions.COOKIE_NAME
STATIC_PREFIX = "/static/"
# Uploaded images: named by their content, the same file for everyone, cached for a year.
MEDIA_PREFIX = "/media/"

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


_TAG_TIMES = select(CacheTag.changed_at).where(CacheTag.tag.in_(bindparam("tags", expanding=True)))


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
            entry = load_stored(request, key, replica_store if from_replica else None, store)
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
                entry_headers(response.headers["Content-Type"], etag, tags)
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
