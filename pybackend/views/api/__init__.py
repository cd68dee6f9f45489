"""The read-only JSON API under /api/v1/, described by ``pybackend.api_spec``.

Helpers shared by its views: the view decorator, strict query parameters, paging and
links. The language comes from ``?lang=``, never from the path.
"""

import datetime as dt
import re

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.view import view_config

from ...api_spec import DEFAULT_LANG, DEFAULT_PER_PAGE, MAX_PER_PAGE
from ...models.item import LANGUAGES
from ...security import VIEW
from .. import MAX_PAGE

# ASCII digits only (\d would take other scripts' digits); nine digits cannot overflow.
_NUMBER_RE = re.compile(r"^[0-9]{1,9}$")


def allow_any_origin(view):
    """Public, read-only data: any site's scripts may read it (CORS)."""

    def wrapper(context, request):
        response = view(context, request)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def api_view_config(route_name, **settings):
    """``view_config`` for an API view: JSON, GET/HEAD, readable by everyone, CORS."""
    return view_config(
        route_name=route_name,
        renderer="json",
        request_method=("GET", "HEAD"),
        permission=VIEW,
        decorator=allow_any_origin,
        **settings,
    )


def api_error(exc_class, message):
    """An HTTP exception whose ``message`` the JSON error view shows to the client."""
    exc = exc_class()
    exc.api_message = message
    return exc


def bad_request(message):
    return api_error(HTTPBadRequest, message)


def query_param(request, name):
    """The one value of query parameter ``name``, or None; 400 when it is repeated."""
    values = request.GET.getall(name)
    if len(values) > 1:
        raise bad_request(f"Parameter '{name}' may be given only once.")
    return values[0] if values else None


def choice_param(request, name, choices, default=None):
    value = query_param(request, name)
    if value is None:
        return default
    if value not in choices:
        raise bad_request(f"Parameter '{name}' must be one of: {', '.join(choices)}.")
    return value


def number_param(request, name, default, maximum):
    value = query_param(request, name)
    if value is None:
        return default
    if not _NUMBER_RE.match(value) or not 1 <= int(value) <= maximum:
        raise bad_request(f"Parameter '{name}' must be a whole number from 1 to {maximum}.")
    return int(value)


def lang_param(request):
    return choice_param(request, "lang", LANGUAGES, DEFAULT_LANG)


class Paging:
    """``page`` and ``per_page`` from the query, and the list body once the total is known."""

    def __init__(self, request):
        self.request = request
        self.page = number_param(request, "page", 1, MAX_PAGE)
        self.per_page = number_param(request, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        self.offset = (self.page - 1) * self.per_page

    def check(self, total):
        """The number of pages; 404 when the requested page is past the last one."""
        pages = max(1, -(-total // self.per_page))
        if self.page > pages:
            raise api_error(HTTPNotFound, f"There are only {pages} page(s).")
        return pages

    def body(self, items, total, query):
        """The list response; ``query`` holds the other parameters, kept in every link."""
        pages = self.check(total)

        def link(page):
            params = list(query)
            if page != 1:
                params.append(("page", page))
            if self.per_page != DEFAULT_PER_PAGE:
                params.append(("per_page", self.per_page))
            name = self.request.matched_route.name
            return self.request.absolute_url(self.request.route_path(name, _query=params))

        return {
            "items": items,
            "page": self.page,
            "per_page": self.per_page,
            "total": total,
            "pages": pages,
            "links": {
                "self": link(self.page),
                "next": link(self.page + 1) if self.page < pages else None,
                "prev": link(self.page - 1) if self.page > 1 else None,
            },
        }


def lang_query(lang):
    """The ``lang`` parameter for links: left out when it is the default."""
    return [] if lang == DEFAULT_LANG else [("lang", lang)]


def rfc3339(moment):
    """UTC, to the second, with a ``Z``; SQLite hands back naive datetimes, which are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
