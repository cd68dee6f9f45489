"""Branded error pages: in the reader's language, with a request id, never a traceback."""

import logging

from pyramid.exceptions import PredicateMismatch, URLDecodeError
from pyramid.httpexceptions import HTTPException, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from pyramid_retry import mark_error_retryable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from translationstring import TranslationString

from ..api_spec import RETRY_AFTER_SECONDS
from ..faults import UNAVAILABLE
from ..i18n import _
from ..models.replica import reads_from_replica
from ..security import Root
from ..services.editing import SlugTaken

log = logging.getLogger(__name__)

TITLES = {
    400: _("Permintaan tidak valid"),
    403: _("Akses ditolak"),
    404: _("Halaman tidak ditemukan"),
    405: _("Metode tidak diizinkan"),
    409: _("Terjadi konflik"),
    410: _("Halaman sudah dihapus"),
    413: _("Permintaan terlalu besar"),
    429: _("Terlalu banyak permintaan"),
    500: _("Terjadi kesalahan di server"),
    503: _("Layanan sedang tidak tersedia"),
}
EXPLANATIONS = {
    400: _("Alamat atau data yang dikirim tidak dapat kami proses."),
    403: _("Anda tidak memiliki izin untuk membuka halaman ini."),
    404: _("Halaman yang Anda cari tidak ada atau sudah dipindahkan."),
    405: _("Halaman ini tidak menerima metode permintaan tersebut."),
    409: _("Data ini telah diubah oleh orang lain."),
    410: _("Halaman ini sudah dihapus dan tidak lagi tersedia."),
    413: _("Data yang dikirim melebihi batas ukuran."),
    429: _("Tunggu sebentar sebelum mencoba lagi."),
    500: _("Kesalahan ini sudah dicatat. Silakan coba lagi nanti."),
    503: _("Silakan coba lagi dalam beberapa saat."),
}


def error_response(request, status, detail=None, headers=None, resend=None):
    value = {
        "resend": resend,
        "status": status,
        "title": TITLES.get(status, TITLES[500 if status >= 500 else 400]),
        "explanation": EXPLANATIONS.get(status, EXPLANATIONS[500 if status >= 500 else 400]),
        # Only messages we wrote ourselves (translation strings) reach the page.
        "detail": detail if isinstance(detail, TranslationString) else None,
    }
    response = render_to_response(
        "pybackend:templates/errors/error.jinja2", value, request=request, response=Response()
    )
    response.status_int = status
    response.cache_control = "no-store"
    for name, header_value in (headers or {}).items():
        response.headers[name] = header_value
    return response


@notfound_view_config()
def not_found(exc, request):
    return wrong_method(request) or error_response(request, 404, getattr(exc, "detail", None))


@forbidden_view_config()
def forbidden(exc, request):
    """Anonymous: 303 to the login page, coming back here after; logged in: 403."""
    wrong = wrong_method(request)
    if wrong is not None:
        return wrong
    if request.identity is None:
        path = request.path_qs if request.method == "GET" else request.path
        location = request.route_path("login", _query={"next": path})
        return HTTPSeeOther(location=location)
    if request.two_factor_missing and request.method in ("GET", "HEAD"):
        return HTTPSeeOther(location=request.route_path("admin.two_factor"))
    return error_response(request, 403, getattr(exc, "detail", None))


@exception_view_config(PredicateMismatch)
def method_not_allowed(exc, request):
    """A known address asked with a method it does not take: 405 with ``Allow``."""
    return wrong_method(request) or error_response(request, 404)


def wrong_method(request):
    """The 405 for a method no view of the matched route takes, else None.

    A route factory runs before Pyramid looks for a view, so without this an anonymous
    DELETE of /admin/topics/1 was sent to the login page, and a PUT of a missing row was a
    404, where the same PUT of /admin/topics was a 405. The methods an address takes do
    not depend on who asks or on the row, so that answer comes first, whatever the
    factory raised. For a method some view takes this is None: the factory's answer stands.
    """
    allowed = allowed_methods(request)
    if not allowed or request.method in allowed:
        return None
    return error_response(request, 405, headers={"Allow": ", ".join(sorted(allowed))})


def allowed_methods(request):
    """The methods the views of the matched route take; empty if one takes any method."""
    route = request.matched_route
    if route is None:
        return set()
    introspector = request.registry.introspector
    route_intr = introspector.get("routes", route.name)
    methods = set()
    for related in introspector.related(route_intr):
        if related.category_name != "views":
            continue
        view_methods = related["request_methods"]
        if view_methods is None:
            return set()
        methods.update((view_methods,) if isinstance(view_methods, str) else view_methods)
    if "GET" in methods:
        methods.add("HEAD")  # as Pyramid's request_method predicate: GET takes HEAD too
    return methods


@exception_view_config(HTTPException)
def http_exception(exc, request):
    wrong = wrong_method(request)
    if wrong is not None:
        return wrong  # e.g. a PUT of a renamed topic's old address: 405, not a 301
    if exc.code < 400:
        # Redirects and 304s raised by views or route factories pass through as they are.
        return exc
    headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
    return error_response(request, exc.code, exc.detail, headers)


@exception_view_config(URLDecodeError)
@exception_view_config(UnicodeDecodeError)
def bad_encoding(exc, request):
    """An address or a form that is not valid UTF-8."""
    return error_response(request, 400, _("Alamat atau data tidak ditulis dalam UTF-8 yang valid."))


# PostgreSQL rolled the whole transaction back and asks for it to be run again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def mark_retryable(exc):
    """Let pyramid_retry run the request again after a serialization failure or deadlock.

    zope.sqlalchemy marks these when a statement fails (pyramid_tm asks its data manager),
    but one raised at COMMIT (a deferred trigger or constraint, SERIALIZABLE) comes after
    pyramid_tm has let the session go, and reaches this view unmarked: it was a 503 at the
    first attempt. Every attempt rolls back as a whole, so running it again is safe; on
    the last attempt pyramid_retry ignores the mark and the client gets the 503.
    """
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES:
        mark_error_retryable(exc)


# What to answer a POST whose save failed, by route: the form again (views/admin/items.py).
FAILED_SAVE_PAGES = {}


def failed_save_page(*route_names):
    """Register ``page(request)``: the response to a save of these routes that failed."""

    def register(page):
        for name in route_names:
            FAILED_SAVE_PAGES[name] = page
        return page

    return register


def without_database(request):
    """Let the page that reports a database failure render without the database.

    The layout reads the user, the CSRF token, the permissions and the flash messages,
    each through the session row. What was loaded before the failure stays readable (the
    aborted session lets its objects go without expiring them); anything that would
    need a query becomes anonymous instead of raising inside the error page.
    """
    row = request.__dict__.get("user_session")
    try:
        if row is not None:
            # Read now, so that a row that cannot be read fails here, not in the page.
            user = row.user
            loaded = [row.csrf_token, row.flash]
            if user is not None:
                loaded += [user.username, user.role, user.is_active, user.id]
    except Exception:  # noqa: BLE001 (an expired or detached row: any of several errors)
        row = None
    request.__dict__["user_session"] = row
    if row is None:
        request.__dict__["current_user"] = None
        # A failed save's form goes out with the token it came with: valid again later.
        token = request.POST.get("csrf_token", "") if request.method == "POST" else ""
        request.__dict__["csrf_token"] = token if isinstance(token, str) else ""
    request.pop_flash = list  # the flash messages stay in the session for the next page
    if getattr(request, "context", None) is None:
        request.context = Root(request)  # the route factory never ran (or failed)


def database_unavailable(exc, request):
    """The database is down, restarting, locked, full or too slow: come back soon.

    A save that failed gives the editor their text back: its form again (503).
    """
    log.warning("database unavailable (request %s): %r", request.request_id, exc)
    mark_retryable(exc)
    if reads_from_replica(request):
        # The replica failed this read: pyramid_retry runs it again, on the primary.
        request.registry["replica"].mark_down()
        mark_error_retryable(exc)
    without_database(request)
    route = request.matched_route
    page = FAILED_SAVE_PAGES.get(route.name) if route is not None else None
    if page is not None and request.method == "POST":
        response = page(request)
        response.status_int = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response.cache_control = "no-store"
        return response
    return error_response(
        request,
        503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        resend=resend_fields(request),
    )


# Fields a page must never write back: what a browser would not show again either.
SECRET_FIELDS = {"password", "password_confirm", "current_password", "code", "recovery_code"}


def resend_fields(request):
    """What a form without a page of its own sent, to offer it again from the 503 page.

    A delete, restore, revert, review decision, role change or bulk action that met a
    database outage is one click away from being sent again, with the CSRF token it came
    with, instead of making the editor go back and find it. Not for forms with secrets or
    files, which a page cannot hold: those get the plain page.
    """
    if request.method != "POST" or request.content_type != "application/x-www-form-urlencoded":
        return None
    try:
        fields = list(request.POST.items())
    except Exception:  # noqa: BLE001 (a body that does not parse: nothing to offer)
        return None
    if not fields or any(name in SECRET_FIELDS for name, _value in fields):
        return None
    if not all(isinstance(value, str) for _name, value in fields):
        return None
    return fields


for _error in UNAVAILABLE:
    database_unavailable = exception_view_config(_error)(database_unavailable)


@exception_view_config(SlugTaken)
@exception_view_config(StaleDataError)
@exception_view_config(IntegrityError)
def write_conflict(exc, request):
    """Two saves raced (a version moved, or a slug was taken at the same instant): 409.

    SlugTaken is the service's own check finding the slug gone after the form's check
    passed: the other save committed in between.

    pyramid_retry re-runs retryable errors first; a rerun finds the new version through
    the form's version check. This answers whatever is still left, never with a 500.
    """
    log.info("write conflict (request %s): %s", request.request_id, type(exc).__name__)
    return error_response(
        request,
        409,
        _("Data ini baru saja diubah oleh orang lain; muat ulang halaman dan coba lagi."),
    )


@exception_view_config(Exception)
def server_error(exc, request):
    log.exception("unhandled error (request %s)", request.request_id)
    return error_response(request, 500)
