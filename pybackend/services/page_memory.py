"""Pages kept in a process's memory, and the clock that drops the ones an edit touched.

Each process keeps rendered responses by URL with the surrogate keys they show
(``PageCache``, LRU within a byte budget). ``TagClock`` polls ``cache_tags`` at most once
per ``pybackend.generation_ttl`` seconds (and at once after this process's own commits)
and purges exactly the pages whose keys changed. services/cache.py is the tween that
uses both.
"""

import collections
import datetime as dt
import logging
import math
import threading
import time

from sqlalchemy import text

from ..faults import UNAVAILABLE
from .clock import aware

log = logging.getLogger(__name__)

PUBLIC_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"
# More purged keys than this in one poll: cheaper to drop everything.
MAX_PURGE_KEYS = 5000


class Entry:
    __slots__ = ("status", "headerlist", "body", "etag", "modified", "tags", "size", "route")

    def __init__(self, status, headerlist, body, etag, modified, tags, route):
        self.status = status
        self.headerlist = headerlist
        self.body = body
        self.etag = etag  # quoted
        # Last-Modified: the change time rounded up to a whole second (cache._last_modified).
        self.modified = math.ceil(modified.timestamp()) if modified is not None else None
        self.tags = tags
        self.size = len(body) + 300
        self.route = route  # the route that made it, for the access log and the metrics


def entry_headers(content_type, etag, tags):
    return (
        ("Content-Type", content_type),
        ("ETag", etag),
        ("Cache-Control", PUBLIC_CACHE_CONTROL),
        # For a CDN or Varnish to purge by item (README, "Caching").
        ("Surrogate-Key", " ".join(sorted(tags))),
    )


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
