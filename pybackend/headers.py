"""Headers every response carries: a request id and the security headers."""

import os
import re

from .proxies import TRUSTED_PEER

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
    ]
)

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(request):
    """A trusted proxy's X-Request-Id when it looks sane, else a new random one.

    From anyone else it is ignored: a client must not choose the id our logs and error
    pages show, nor make two requests look like one.
    """
    environ = request.environ
    if environ.get(TRUSTED_PEER):
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        if _REQUEST_ID_RE.match(incoming):
            return incoming
    return os.urandom(16).hex()


_HSTS = "max-age=31536000; includeSubDomains"
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def add_headers(request, response):
    """The request id and the security headers a response does not set itself."""
    headerlist = response.headerlist
    present = {name.lower(): value for name, value in headerlist}
    if "x-request-id" not in present:
        headerlist.append(("X-Request-Id", request.request_id))
    for name, value in _ALWAYS:
        if name.lower() not in present:
            headerlist.append((name, value))
    media_type = present.get("content-type", "").split(";", 1)[0].strip().lower()
    if "content-security-policy" not in present and media_type == "text/html":
        headerlist.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
    if "strict-transport-security" not in present and request.scheme == "https":
        headerlist.append(("Strict-Transport-Security", _HSTS))
    return response


def headers_tween_factory(handler, registry):
    # A tween, not a NewResponse subscriber: the subscriber lookup cost more than the
    # headers themselves on a 304, and every response passes the outermost tween.
    def headers_tween(request):
        return add_headers(request, handler(request))

    return headers_tween


def includeme(config):
    config.add_request_method(request_id, reify=True)
    # Outside the allowed-hosts refusal and the page cache: their answers carry them too.
    config.add_tween(
        "pybackend.headers.headers_tween_factory",
        over="pybackend.hosts.host_check_tween_factory",
        under="pybackend.telemetry.telemetry_tween_factory",
    )
