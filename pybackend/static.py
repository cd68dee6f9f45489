"""Cache-busted static URLs: ``?v=<hash of the file>``, cached for a year when it matches.

``request.static_path('pybackend:static/css/site.css')`` gives
``/static/css/site.css?v=<12 hex digits of the file's BLAKE2b>`` through Pyramid's cache
buster hook. A changed file gets a new URL, so browsers and proxies may keep each URL
for good (``immutable``). A request whose ``v`` is not the current file's hash (an old
page during a rolling deploy, or an invented one) gets the file with the ordinary short
lifetime, so no cache keeps the wrong bytes under a URL for a year.
"""

import hashlib
import os
import threading

from pyramid.path import AssetResolver
from pyramid.static import QueryStringCacheBuster

from .request import parse_query

STATIC_SPEC = "pybackend:static/"
PARAM = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_MAX_AGE = 3600

_STATIC_ROOT = AssetResolver().resolve(STATIC_SPEC).abspath()


class ContentHashCacheBuster(QueryStringCacheBuster):
    """The token is a hash of the file's bytes, computed again when its mtime or size changes."""

    def __init__(self, root=_STATIC_ROOT, param=PARAM):
        super().__init__(param=param)
        self.root = root
        self._tokens = {}
        self._lock = threading.Lock()

    def tokenize(self, request, subpath, kw):
        return self.token(subpath) or "0"

    def token(self, subpath):
        """The hash of the file at ``subpath`` under the static root, or None if there is none."""
        path = os.path.join(self.root, subpath)
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self._tokens.get(subpath)
        if known is not None and known[0] == stamp:
            return known[1]
        digest = hashlib.blake2b(digest_size=6)
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(65536), b""):
                digest.update(chunk)
        token = digest.hexdigest()
        with self._lock:
            self._tokens[subpath] = (stamp, token)
        return token


def cache_headers(request, response):
    """A year and ``immutable`` for a file asked for under its current hash."""
    query = request.environ.get("QUERY_STRING", "")
    if PARAM not in query or response.status_int not in (200, 304):
        return response
    try:
        wanted = dict(parse_query(query)).get(PARAM)
    except UnicodeDecodeError:  # not ours: the file with its ordinary lifetime
        return response
    if wanted:
        buster = request.registry["static_cache_buster"]
        subpath = request.environ.get("PATH_INFO", "")[len("/static/") :]
        if buster.token(subpath) == wanted:
            response.headers["Cache-Control"] = IMMUTABLE
            response.headers.pop("Expires", None)
    return response


def includeme(config):
    buster = ContentHashCacheBuster()
    config.registry["static_cache_buster"] = buster
    config.add_cache_buster(STATIC_SPEC, buster)
