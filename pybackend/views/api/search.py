"""Full-text search as JSON, through services/search.py."""

from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories

from ...api_spec import SEARCH_QUERY_MAX
from ...services import search as search_service
from ...telemetry import observe_search
from . import Paging, api_view_config, bad_request, lang_param, lang_query, query_param
from .items import ItemSerializer


def _english(request, message):
    """A service's user-facing message (a translation string) in the API's language."""
    directories = request.registry.queryUtility(ITranslationDirectories, default=[])
    return make_localizer("en", directories).translate(message)


@api_view_config("api.search")
def search(request):
    request.show("any")
    query = query_param(request, "q")
    if not query:
        raise bad_request("Parameter 'q' is required and must not be empty.")
    if len(query) > SEARCH_QUERY_MAX:
        raise bad_request(f"Parameter 'q' may be at most {SEARCH_QUERY_MAX} characters long.")
    lang = lang_param(request)
    paging = Paging(request)
    try:
        with observe_search(request, lang):
            results = search_service.search(
                request.dbsession, query, lang, offset=paging.offset, limit=paging.per_page
            )
    except search_service.SearchQueryError as exc:
        raise bad_request(_english(request, exc.args[0])) from None
    serializer = ItemSerializer(request, lang)
    items = [
        {
            "type": hit.item.type,
            "slug": hit.item.slug,
            "title": hit.title,
            "lang": hit.lang,
            "snippet": hit.snippet_html.striptags(),
            "snippet_html": str(hit.snippet_html),
            **serializer.urls(hit.item),
        }
        for hit in results.hits
    ]
    body = paging.body(items, results.total, [("q", query), *lang_query(lang)])
    return {
        "query": query,
        **body,
        "total_exact": results.total_exact,
        "suggestions": list(results.suggestions),
    }
