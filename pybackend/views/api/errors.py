"""JSON errors for every path under /api/, in place of the HTML pages of views/errors.py.

Each view here carries the ``api_path`` predicate, so Pyramid tries it before the
predicate-free HTML view for the same exception, and falls through to that one for
every other path. It is registered for each exception class views/errors.py handles:
exception views are looked up class by class, so one for ``HTTPException`` alone would
lose to the HTML one registered for ``HTTPNotFound``.
"""

import logging

import venusian
from pyramid.exceptions import PredicateMismatch, URLDecodeError
from pyramid.httpexceptions import HTTPException, HTTPNotFound
from pyramid.response import Response
from pyramid.view import exception_view_config

from ...api_spec import RETRY_AFTER_SECONDS
from ...faults import UNAVAILABLE
from ...services.cache import is_api_path
from ..errors import allowed_methods, mark_retryable

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request is not valid.",
    403: "You may not access this resource.",
    404: "There is nothing here.",
    405: "This address does not accept that method.",
    500: "Something went wrong on the server; it has been logged.",
    503: "The service is unavailable for a moment; try again shortly.",
}


class ApiPathPredicate:
    """True for requests under /api/.

    Reads the raw PATH_INFO: Pyramid's own ``path_info`` predicate decodes it, which
    fails on exactly the requests that need the 400 for invalid UTF-8.
    """

    def __init__(self, value, config):
        self.value = bool(value)

    def text(self):
        return f"api_path = {self.value}"

    phash = text

    def __call__(self, context, request):
        return is_api_path(request) == self.value


def _register_predicate(scanner, name, ob):
    # Registered during config.scan(), so the API stays self-contained; Pyramid orders
    # predicate registration before the views that use it.
    scanner.config.add_view_predicate("api_path", ApiPathPredicate)


venusian.attach(ApiPathPredicate, _register_predicate, category="pyramid", depth=0)


def error_response(request, status, message=None, headers=None):
    response = Response(
        json_body={
            "error": {
                "status": status,
                "message": message or MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400]),
                "request_id": request.request_id,
            }
        },
        status=status,
    )
    response.cache_control = "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@exception_view_config(HTTPNotFound, api_path=True)
@exception_view_config(HTTPException, api_path=True)
def http_exception(exc, request):
    if exc.code < 400:
        return exc
    headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
    # Only messages written for the API reach the client, never an exception's detail.
    return error_response(request, exc.code, getattr(exc, "api_message", None), headers)


@exception_view_config(PredicateMismatch, api_path=True)
def method_not_allowed(exc, request):
    allowed = allowed_methods(request)
    if not allowed or request.method in allowed:
        return error_response(request, 404)
    allow = ", ".join(sorted(allowed))
    return error_response(request, 405, f"Use {allow}.", headers={"Allow": allow})


@exception_view_config(URLDecodeError, api_path=True)
@exception_view_config(UnicodeDecodeError, api_path=True)
def bad_encoding(exc, request):
    return error_response(request, 400, "The address is not valid UTF-8.")


def database_unavailable(exc, request):
    log.warning("database unavailable (request %s): %r", request.request_id, exc)
    mark_retryable(exc)
    return error_response(request, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


for _error in UNAVAILABLE:
    database_unavailable = exception_view_config(_error, api_path=True)(database_unavailable)


@exception_view_config(Exception, api_path=True)
def server_error(exc, request):
    log.exception("unhandled error (request %s)", request.request_id)
    return error_response(request, 500)
