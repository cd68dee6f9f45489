"""pybackend's Request: WebOb's, with query strings split the way browsers split them."""

from urllib.parse import unquote_to_bytes

from pyramid.request import Request as PyramidRequest
from webob.multidict import GetDict

_CACHE_KEY = "pybackend.query_vars"


def parse_query(source):
    """(name, value) pairs of a query string; only ``&`` separates (WHATWG URL standard).

    WebOb also splits at ``;``, so ``?q=a;b`` searched for ``a`` with a stray parameter
    ``b``, and a client that leaves ``;`` unescaped (it is legal in a query) lost part of
    its value. Invalid UTF-8 raises UnicodeDecodeError, answered 400 like WebOb's.
    """
    pairs = []
    for part in source.encode("latin-1").replace(b"+", b" ").split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append(
            (unquote_to_bytes(name).decode("utf-8"), unquote_to_bytes(value).decode("utf-8"))
        )
    return pairs


class Request(PyramidRequest):
    @property
    def GET(self):  # noqa: N802 (WebOb's name)
        environ = self.environ
        source = environ.get("QUERY_STRING", "")
        cached = environ.get(_CACHE_KEY)
        if cached is not None and cached[1] == source:
            return cached[0]
        query = GetDict(parse_query(source), environ)
        environ[_CACHE_KEY] = (query, source)
        return query
