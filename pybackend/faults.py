"""The outermost guard: hostile input is a 400, and a failure anywhere below is our page.

Every request passes here first, before the debug toolbar (development) and every other
tween. It refuses what nothing below should have to decode: a path, query string, header
value or form body that is not valid UTF-8 (WebOb would replace it with U+FFFD, and the
replacement would be saved), and a form body that cannot be parsed (no boundary, a
boundary that never closes: a truncated upload must not save its first half).

Then it runs the rest. An exception that escapes the tweens below (the session lookup
of pyramid_tm, the page store's read, a commit) would otherwise reach the server as a
bare 500 without our headers; here it gets the exception view views/errors.py has for
it: a 503 with Retry-After for the database, the form again for a failed save. Errors
that pyramid_retry may still run again pass through to it.
"""

import sqlite3
import sys

from pyramid.httpexceptions import HTTPBadRequest
from pyramid_retry import is_error_retryable
from sqlalchemy import exc as sa_exc

from .headers import add_headers
from .i18n import _
from .request import parse_query


def _postgresql_errors():
    """psycopg's base error, when it is installed (SQLite sites need no PostgreSQL driver)."""
    try:
        import psycopg
    except ImportError:
        return ()
    return (psycopg.Error,)


# The database did not do it: down, restarting, locked, full, or too slow. Never the
# client's fault, so a 503. (IntegrityError, a DBAPIError too, has a view of its own:
# two saves raced, a 409.)
UNAVAILABLE = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,  # no connection free in the pool in time
    sa_exc.DisconnectionError,
    sa_exc.PendingRollbackError,
    sa_exc.ResourceClosedError,
    sqlite3.Error,  # the page store's reader uses the drivers directly
    *_postgresql_errors(),
)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BAD_ENCODING = _("Alamat atau data tidak ditulis dalam UTF-8 yang valid.")
BAD_FORM = _("Data formulir yang dikirim rusak atau tidak lengkap.")


def _utf8(value):
    """Whether a WSGI string (bytes as latin-1) is valid UTF-8."""
    try:
        value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False
    return True


def bad_encoding(request):
    """Whether the path, query string, a header or a cookie value is not valid UTF-8."""
    environ = request.environ
    for name, value in environ.items():
        if (name.startswith("HTTP_") or name in ("PATH_INFO", "SCRIPT_NAME")) and not _utf8(value):
            return True
    try:
        parse_query(environ.get("QUERY_STRING", ""))
        # WebOb decodes a cookie's value when it is read, after its own unquoting:
        # "\\377" in a quoted value is a byte that is not UTF-8.
        list(request.cookies.values())
    except UnicodeError:
        return True
    return False


# The one form that takes a file (views/admin/images.py checks the file itself).
UPLOAD_PATHS = frozenset({"/admin/images"})


def bad_form(request):
    """A 400's message for a form body that is not valid UTF-8 or cannot be parsed, else None."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.content_length:
        return None
    content_type = request.content_type
    if content_type not in ("", *FORM_TYPES):
        return None  # not a form: WebOb gives no fields, and the CSRF check refuses it
    body = request.body
    if content_type != "multipart/form-data":  # WebOb reads a body without a type as a form
        try:
            parse_query(body.decode("latin-1"))
        except UnicodeError:
            return BAD_ENCODING
    else:
        boundary = _boundary(request)
        if not boundary or not body.rstrip(b"\r\n \t").endswith(b"--" + boundary + b"--"):
            return BAD_FORM  # no boundary, another one, or a body cut short
    try:
        fields = request.POST
    except Exception:  # noqa: BLE001 (the parser's errors are of many kinds; another charset)
        return BAD_FORM
    if content_type != "multipart/form-data":
        return None  # parse_query decoded it strictly
    if not all(name.isascii() for name in fields):
        return BAD_ENCODING  # every field we ask for has an ASCII name
    if request.path_info not in UPLOAD_PATHS and not all(
        isinstance(value, str) for value in fields.values()
    ):
        return BAD_FORM  # a file: only the image upload form takes one
    # WebOb decodes parts with errors="replace": a U+FFFD the body did not spell out
    # (EF BF BD) stands for bytes that were not UTF-8.
    replaced = sum(value.count("\ufffd") for value in fields.values() if isinstance(value, str))
    if replaced > body.count("\ufffd".encode()):
        return BAD_ENCODING
    return None


def _boundary(request):
    """The multipart boundary as bytes (RFC 2046: 1-70 characters), or None."""
    params = request.headers.get("Content-Type", "").split(";")[1:]
    for param in params:
        name, _sep, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip().strip('"')
            if 1 <= len(value) <= 70 and value.isascii() and value.isprintable():
                return value.encode("ascii")
    return None


def fault_tween_factory(handler, registry):
    def fault_tween(request):
        if bad_encoding(request):
            return add_headers(request, _refuse(request, BAD_ENCODING))
        message = bad_form(request)
        if message is not None:
            return add_headers(request, _refuse(request, message))
        try:
            return handler(request)
        except Exception as exc:
            if is_error_retryable(request, exc):
                raise
            return add_headers(request, request.invoke_exception_view(sys.exc_info()))

    return fault_tween


def _refuse(request, message):
    # The exception view of an HTTPBadRequest renders the branded page (or the API's
    # JSON), in the reader's language, without the database.
    request.__dict__["current_user"] = None  # nor the session's row: no cookie is read
    try:
        raise HTTPBadRequest(message)
    except HTTPBadRequest:
        return request.invoke_exception_view(sys.exc_info())


def includeme(config):
    config.add_tween(
        "pybackend.faults.fault_tween_factory",
        over=(
            "pyramid_debugtoolbar.toolbar_tween_factory",
            "pybackend.headers.headers_tween_factory",
        ),
    )
