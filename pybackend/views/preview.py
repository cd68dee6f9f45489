"""A draft revision opened through a preview link: anyone with the link, no account.

Never cached, never stored, never indexed: ``Cache-Control: no-store`` (our page cache
keeps only its cacheable routes, and this is not one), ``X-Robots-Tag: noindex`` and the
meta tag, no Referer leaving the page (the token is in the URL). Such a page is no item
page, so neither the sitemap, the feeds nor search ever list it.
"""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..i18n import _
from ..services import content, preview_links

PREVIEW_HEADERS = {
    "Cache-Control": "no-store, private",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Referrer-Policy": "no-referrer",
}


def _no_store(request, response):
    response.headers.update(PREVIEW_HEADERS)


@view_config(
    route_name="preview",
    renderer="pybackend:templates/preview.jinja2",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD"),
)
def preview(request):
    request.add_response_callback(_no_store)
    link = preview_links.find(request.dbsession, request.matchdict["token"])
    if link is None:
        raise HTTPNotFound(_("Tautan pratinjau ini tidak ada, sudah kedaluwarsa atau dicabut."))
    lang = request.GET.get("lang", "id")
    if lang not in ("id", "en"):
        lang = "id"
    data = link.revision.data
    text = data["texts"].get(lang) or data["texts"].get("id") or {}
    return {
        "link": link,
        "revision": link.revision,
        "data": data,
        "text_lang": lang if data["texts"].get(lang) else "id",
        "title": text.get("title") or data.get("slug"),
        "summary": text.get("summary", ""),
        "body_html": content.render_body(request, text.get("body", ""), lang=lang),
        "has_english": bool(data["texts"].get("en")),
        "lang": lang,
    }
