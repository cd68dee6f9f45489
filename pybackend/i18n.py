"""Languages: Indonesian at the root, English under /en/."""

import re

from pyramid.i18n import TranslationStringFactory
from pyramid.interfaces import IRoutesMapper

from .models.item import SOURCE_LANGUAGE

_ = TranslationStringFactory("pybackend")

EN_PREFIX = "/en"


def language_of_path(path):
    if path == EN_PREFIX or path.startswith(EN_PREFIX + "/"):
        return "en"
    return SOURCE_LANGUAGE


# The editors' area has one address per screen: it speaks each user's chosen language.
ADMIN_PREFIX = "/admin"


def is_admin_path(path):
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def locale_negotiator(request):
    # The raw PATH_INFO, not request.path_info: the error page for a path that is not
    # valid UTF-8 must still find its language.
    path = request.environ.get("PATH_INFO", "/")
    if is_admin_path(path):
        try:
            user = request.identity
        except Exception:  # noqa: BLE001 - the database may be away: an error page still renders
            user = None
        return getattr(user, "lang", None) or SOURCE_LANGUAGE
    if path == "/login":
        # The login form of an English page carries ?lang=en (no one is known yet).
        # Read raw: the 400 page for a query that is not UTF-8 needs its language too.
        query = request.environ.get("QUERY_STRING", "")
        return "en" if "lang=en" in query.split("&") else SOURCE_LANGUAGE
    return language_of_path(path)


def route_name_for(lang, name):
    return f"en.{name}" if lang == "en" else name


def localized_route_url(request, name, lang=None, **kw):
    """URL of route ``name`` (as registered for Indonesian) in ``lang``."""
    return request.route_url(route_name_for(lang or request.locale_name, name), **kw)


# Item pages, the URLs made most often, are built here rather than by route generation:
# its quoting keeps every path segment it ever quoted in a module-level dict (pyramid's
# traversal._segment_cache), which at 100 000 topics in two languages grows by tens of MB
# in every process. A slug of this form needs no quoting; any other goes the long way.
ITEM_SECTIONS = {"topic": "/topics/", "example": "/examples/"}
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def localized_route_path(request, name, lang=None, **kw):
    lang = lang or request.locale_name
    section = ITEM_SECTIONS.get(name)
    if section is not None and not kw.get("_query"):
        slug = kw.get("slug")
        if kw.keys() <= {"slug", "_query"} and isinstance(slug, str) and _PLAIN_SLUG.match(slug):
            prefix = EN_PREFIX if lang == "en" else ""
            return f"{request.script_name}{prefix}{section}{slug}"
    return request.route_path(route_name_for(lang, name), **kw)


def other_language(lang):
    return "en" if lang == SOURCE_LANGUAGE else SOURCE_LANGUAGE


def includeme(config):
    config.add_translation_dirs("pybackend:locale/")
    config.set_locale_negotiator(locale_negotiator)
    config.add_request_method(localized_route_url, "lroute_url")
    config.add_request_method(localized_route_path, "lroute_path")
    config.add_request_method(alternates, reify=True)
    config.add_request_method(language_links, reify=True)


def _twin_base(request):
    """The route name shared by this page's two languages, or None when it has no twin."""
    route = request.matched_route
    if route is None or request.exception is not None:
        return None
    base = route.name[3:] if route.name.startswith("en.") else route.name
    mapper = request.registry.getUtility(IRoutesMapper)
    if mapper.get_route(base) is None or mapper.get_route(f"en.{base}") is None:
        return None
    return base


def alternates(request):
    """This page in each language, as (lang, absolute URL); empty when it has no twin."""
    base = _twin_base(request)
    if base is None:
        return []
    query = {k: v for k, v in request.GET.items() if k in ("page", "kind", "q")}
    return [
        (
            lang,
            request.absolute_url(
                localized_route_path(request, base, lang=lang, _query=query, **request.matchdict)
            ),
        )
        for lang in ("id", "en")
    ]


def language_links(request):
    """Targets for the language switch: this page's twin, or else each language's home."""
    return request.alternates or [
        (lang, request.absolute_url(request.route_path(route_name_for(lang, "home"))))
        for lang in ("id", "en")
    ]
