"""Headers every response carries: a request id and the security headers."""

import re
import uuid

from pyramid.events import NewResponse

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
    """The proxy's X-Request-Id when it looks sane, else a new random one."""
    incoming = request.headers.get("X-Request-Id", "")
    if _REQUEST_ID_RE.match(incoming):
        return incoming
    return uuid.uuid4().hex


def add_headers(event):
    request, response = event.request, event.response
    headers = response.headers
    headers["X-Request-Id"] = request.request_id
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.content_type == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if request.scheme == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def includeme(config):
    config.add_request_method(request_id, reify=True)
    config.add_subscriber(add_headers, NewResponse)
