"""Languages: Indonesian at the root, English under /en/."""

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


def localized_route_path(request, name, lang=None, **kw):
    return request.route_path(route_name_for(lang or request.locale_name, name), **kw)


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
                request.route_path(route_name_for(lang, base), _query=query, **request.matchdict)
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
