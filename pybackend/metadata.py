"""Page metadata for search engines and link previews: canonical URL, OpenGraph, JSON-LD."""

import datetime as dt
import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from markupsafe import Markup

from .i18n import _, other_language, route_name_for
from .models.item import SOURCE_LANGUAGE

SITE_NAME = "pybackend"
OG_LOCALES = {"id": "id_ID", "en": "en_US"}
SITE_DESCRIPTION = _(
    "Panduan pemrograman backend dengan Python, dalam bahasa Indonesia dan Inggris."
)

# Inside <script> the HTML parser looks only for "</script" (and "<!--"); escaping
# these as JSON \u escapes keeps any text inside the data block, whatever it contains.
_JSON_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def as_utc(value):
    """An aware UTC datetime; SQLite hands back naive ones, which are UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def w3c_datetime(value):
    """RFC 3339 / W3C datetime in UTC, to the second: ``2026-11-28T10:00:00Z``."""
    return as_utc(value).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def item_changed_at(item):
    """When the item or any of its texts last changed."""
    return max(as_utc(t) for t in [item.updated_at, *(x.updated_at for x in item.texts.values())])


def json_ld(data):
    """``data`` as a JSON-LD data block that no value can break out of."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(
        _JSON_SCRIPT_ESCAPES
    )
    # Safe to mark: the payload holds no "<", ">" or "&" (see _JSON_SCRIPT_ESCAPES).
    return Markup(f'<script type="application/ld+json">{payload}</script>')  # noqa: S704


def _without_first_page(url):
    # ?page=1 is the list itself; its canonical address has no page.
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if (k, v) != ("page", "1")]
    return urlunsplit(parts._replace(query=urlencode(query)))


class PageMeta:
    """What the layout's <head> says about the current page."""

    def __init__(self, request):
        self.request = request
        self.lang = request.locale_name
        self.og_locale = OG_LOCALES[self.lang]
        self.og_locale_alternate = OG_LOCALES[other_language(self.lang)]
        self.site_name = SITE_NAME
        self.feed_url = request.absolute_url(request.lroute_path("feed"))
        self.home_url = request.absolute_url(request.lroute_path("home"))
        # Error pages have no address of their own to recommend.
        is_page = request.matched_route is not None and request.exception is None
        urls = {lang: _without_first_page(url) for lang, url in request.alternates}
        self.canonical_url = urls.get(self.lang) if is_page else None
        self.x_default_url = urls.get(SOURCE_LANGUAGE) if is_page else None


def page_meta(request):
    return PageMeta(request)


def _website(request, lang):
    return {
        "@type": "WebSite",
        "name": SITE_NAME,
        "url": request.absolute_url(request.route_path(route_name_for(lang, "home"))),
    }


def website_json_ld(request):
    """The home page: the site itself."""
    data = {
        "@context": "https://schema.org",
        **_website(request, request.locale_name),
        "description": request.localizer.translate(SITE_DESCRIPTION),
        "inLanguage": request.locale_name,
    }
    return json_ld(data)


def article_json_ld(request, page):
    """A topic or example page (a ``views.ItemPage``) as a TechArticle / Article."""
    item = page.item
    url = request.page_meta.canonical_url or request.absolute_url(page.url)
    data = {
        "@context": "https://schema.org",
        "@type": "TechArticle" if item.type == "topic" else "Article",
        "headline": page.title,
        "description": page.summary,
        # A page without a translation shows the Indonesian text.
        "inLanguage": page.text_lang,
        "datePublished": w3c_datetime(item.created_at),
        "dateModified": w3c_datetime(item_changed_at(item)),
        "url": url,
        "mainEntityOfPage": url,
        "isPartOf": _website(request, request.locale_name),
        "publisher": {"@type": "Organization", "name": SITE_NAME},
    }
    if item.website:
        data["about"] = {"@type": "Thing", "name": page.title, "url": item.website}
    return json_ld(data)


def includeme(config):
    config.add_request_method(page_meta, reify=True)
    config.add_request_method(website_json_ld)
    config.add_request_method(article_json_ld)
