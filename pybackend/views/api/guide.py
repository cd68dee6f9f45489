"""The comparisons and the glossary as JSON."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories

from ...services import comparisons
from ...services.seed import glossary
from . import api_error, api_view_config, lang_param, lang_query
from .items import TopicSerializer, fact_list


def _translate(request, message, lang):
    """A catalog string in the API's language (from ?lang=, not from the path)."""
    directories = request.registry.queryUtility(ITranslationDirectories, default=[])
    return make_localizer(lang, directories).translate(message)


def _summary(request, comparison, lang):
    page = request.lroute_path("comparison", lang=lang, comparison=comparison.name)
    api = request.route_path("api.comparison", comparison=comparison.name, _query=lang_query(lang))
    return {
        "name": comparison.name,
        "title": _translate(request, comparison.title, lang),
        "summary": _translate(request, comparison.summary, lang),
        "url": request.absolute_url(page),
        "api_url": request.absolute_url(api),
    }


@api_view_config("api.comparisons")
def comparison_list(request):
    lang = lang_param(request)
    return {"items": [_summary(request, c, lang) for c in comparisons.COMPARISONS]}


@api_view_config("api.comparison")
def comparison_detail(request):
    lang = lang_param(request)
    found = comparisons.BY_NAME.get(request.matchdict["comparison"])
    if found is None:
        raise api_error(HTTPNotFound, "There is no comparison with this name.")
    items = comparisons.compared_items(request.dbsession, found)
    present = {item.slug for item in items}
    serializer = TopicSerializer(request, lang)
    for item in items:
        request.show(f"f{item.id}")
    missing = [slug for slug in found.slugs if slug not in present]
    for slug in missing:
        request.show(f"u:topic:{slug}")
    return {
        **_summary(request, found, lang),
        "facts": comparisons.rows(found, items),
        "items": [
            serializer.linked(
                item,
                facts=fact_list(item),
            )
            for item in items
        ],
        "missing": missing,
    }


@api_view_config("api.glossary")
def glossary_list(request):
    lang = lang_param(request)
    page = request.absolute_url(request.lroute_path("glossary", lang=lang))
    return {
        "items": [
            {
                "id": term["id"],
                "en": term["en"],
                "note": term["note_en"] if lang == "en" else term["note_id"],
                "url": f"{page}#{comparisons.term_anchor(term['id'])}",
            }
            for term in glossary()
        ]
    }
