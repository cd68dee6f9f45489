"""The search page: /search?q=... and /en/search?q=..."""

import re

from pyramid.httpexceptions import HTTPBadRequest

from ..i18n import _
from ..security import VIEW
from ..services import comparisons, search
from ..telemetry import observe_search
from . import ItemPage, Paginator, localized_view_config, page_number

RESULTS_PER_PAGE = 10
# NUL and the other C0 controls (tab and newlines aside) are refused, as in forms (IN-2).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SearchPaginator(Paginator):
    """Page links that keep the query."""

    def __init__(self, request, total, per_page, query):
        self.query = query
        super().__init__(request, total, per_page)

    def url(self, page):
        query = {"q": self.query}
        if page > 1:
            query["page"] = page
        return self.request.route_path(self.request.matched_route.name, _query=query)


def search_query(request):
    """The ``q`` parameter: "" when absent; 400 when repeated, too long or with controls."""
    values = request.GET.getall("q")
    if len(values) > 1:
        raise HTTPBadRequest(_("Parameter pencarian q hanya boleh muncul sekali."))
    query = values[0] if values else ""
    if len(query) > search.MAX_QUERY_LENGTH:
        raise HTTPBadRequest(
            _(
                "Kata pencarian terlalu panjang: paling banyak ${max} karakter.",
                mapping={"max": search.MAX_QUERY_LENGTH},
            )
        )
    if _CONTROL_RE.search(query):
        raise HTTPBadRequest(_("Kata pencarian berisi karakter yang tidak diizinkan."))
    return query


@localized_view_config(
    route_name="search",
    renderer="pybackend:templates/search/results.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def search_view(request):
    query = search_query(request)
    # Any edit can change which items a query finds.
    request.show("any")
    page = page_number(request)
    value = {
        "search_query": query,
        "results": None,
        "hits": [],
        "pager": None,
        "suggestions": [],
        "comparisons": [],
        "terms": [],
        "term_anchor": comparisons.term_anchor,
    }
    if not query.strip():
        return value
    try:
        with observe_search(request, request.locale_name):
            results = search.search(
                request.dbsession,
                query,
                request.locale_name,
                offset=(page - 1) * RESULTS_PER_PAGE,
                limit=RESULTS_PER_PAGE,
            )
    except search.SearchQueryError as e:
        raise HTTPBadRequest(e.message) from None
    value["results"] = results
    if page == 1:
        # The comparisons and glossary terms it names (not in the full-text index).
        value["comparisons"], value["terms"] = comparisons.matching(
            query, request.localizer.translate
        )
    # 404 for a page past the last one.
    value["pager"] = SearchPaginator(request, results.total, RESULTS_PER_PAGE, query)
    value["hits"] = [(hit, ItemPage(request, hit.item)) for hit in results.hits]
    value["suggestions"] = [
        (suggestion, request.lroute_path("search", _query={"q": suggestion}))
        for suggestion in results.suggestions
    ]
    return value
