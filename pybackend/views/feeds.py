"""Machine-readable views: the Atom feeds, the sitemap and robots.txt."""

import html
import re
from urllib.parse import quote, urlsplit

from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..i18n import route_name_for
from ..metadata import as_utc, item_changed_at, w3c_datetime
from ..models import ContentState, Item, ItemText
from ..models.item import LANGUAGES, utcnow
from ..security import VIEW
from ..services import comparisons, content, markdown, pages
from . import localized_view_config, page_number

FEED_ENTRIES = 50
# The date in the tag: URIs of feed and entry ids. It must never change, or every
# reader sees every entry again.
TAG_DATE = "2026"
# Items per sitemap part (two URLs each): well under the sitemaps.org limit of 50 000.
SITEMAP_PART_ITEMS = pages.SITEMAP_PART_ITEMS
# Keep each OR of (type, slug) pairs well under SQLite's expression depth limit.
_RESOLVE_CHUNK = 200

# Characters XML 1.0 forbids even as references; a stray one would make the feed unreadable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# nh3 writes every attribute with double quotes, so this finds each root-relative URL.
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def xml_text(value):
    return _XML_INVALID.sub("", value or "")


def latest_items(dbsession, limit=FEED_ENTRIES):
    """The public items created or changed most recently, newest first.

    An item changes when it or one of its texts does. The newest ``limit`` items by that
    measure are among the newest ``limit`` items by their own ``updated_at`` and the
    items of the newest ``limit`` x (texts per item) texts; two small top-N scans find
    them without an aggregate over every text.
    """
    public = content._public()
    by_item = (
        select(Item.id).where(*public).order_by(Item.updated_at.desc(), Item.id.desc()).limit(limit)
    )
    by_text = (
        select(ItemText.item_id)
        .join(Item, ItemText.item_id == Item.id)
        .where(*public)
        .order_by(ItemText.updated_at.desc(), ItemText.item_id.desc())
        .limit(limit * len(LANGUAGES))
    )
    stmt = (
        select(Item)
        .where(or_(Item.id.in_(by_item.scalar_subquery()), Item.id.in_(by_text.scalar_subquery())))
        .options(selectinload(Item.texts))
    )
    items = dbsession.scalars(stmt)
    return sorted(items, key=lambda item: (item_changed_at(item), item.id), reverse=True)[:limit]


def _resolve(dbsession, targets):
    found = {}
    for start in range(0, len(targets), _RESOLVE_CHUNK):
        found.update(content.resolve_targets(dbsession, targets[start : start + _RESOLVE_CHUNK]))
    return found


def render_bodies(request, bodies):
    """Like ``content.render_body`` for many bodies, resolving all their links in one go."""
    targets = list(dict.fromkeys(t for body in bodies for t in markdown.internal_targets(body)))
    found = _resolve(request.dbsession, targets)
    paths = {t: request.lroute_path(item.type, slug=item.slug) for t, item in found.items()}
    return [
        markdown.render(body, tuple((t, paths.get(t)) for t in markdown.internal_targets(body)))
        for body in bodies
    ]


def absolute_links(request, fragment):
    """Root-relative links made absolute: feed readers show entries away from the site."""
    base = request.absolute_url("")
    return _ROOT_RELATIVE.sub(lambda m: m.group(1) + base + "/", fragment)


def tag_authority(request):
    return urlsplit(request.absolute_url("/")).hostname or "localhost"


@localized_view_config(route_name="feed", permission=VIEW, request_method=("GET", "HEAD"))
def atom_feed(request):
    lang = request.locale_name
    request.show("any")
    authority = tag_authority(request)
    items = latest_items(request.dbsession)
    texts = [content.text_for(item, lang) for item in items]
    bodies = render_bodies(request, [text.body if text else "" for text, _ in texts])
    entries = []
    for item, (text, fallback), body_html in zip(items, texts, bodies, strict=True):
        url = request.absolute_url(request.lroute_path(item.type, slug=item.slug))
        entries.append(
            {
                # The database id, not the slug: a renamed page is still the same entry.
                "id": f"tag:{authority},{TAG_DATE}:{lang}/{item.type}/{item.id}",
                "lang": "id" if fallback else lang,
                "type": item.type,
                "kind": item.kind,
                "title": xml_text(text.title if text else item.slug),
                "summary": xml_text(text.summary if text else ""),
                "content": xml_text(absolute_links(request, body_html)),
                "url": url,
                "published": w3c_datetime(item.created_at),
                "updated": w3c_datetime(item_changed_at(item)),
            }
        )
    if entries:
        updated = max(e["updated"] for e in entries)
    else:
        updated = w3c_datetime(_content_changed_at(request))
    value = {
        "lang": lang,
        "feed_id": f"tag:{authority},{TAG_DATE}:{lang}/feed",
        "updated": updated,
        "self_url": request.absolute_url(request.lroute_path("feed")),
        "home_url": request.absolute_url(request.lroute_path("home")),
        "entries": entries,
    }
    body = render("pybackend:templates/feeds/atom.xml.jinja2", value, request=request)
    return Response(body=body.encode("utf-8"), content_type="application/atom+xml", charset="utf-8")


def _content_changed_at(request):
    """When the content last changed, for a feed with no entries to date it by."""
    return request.dbsession.scalar(select(ContentState.changed_at)) or utcnow()


def _slug_url(request, route_name):
    """A fast ``slug -> absolute URL`` for one route: the sitemap builds thousands."""
    marker = "0slugmarker0"
    head, _, tail = request.route_path(route_name, slug=marker).partition(marker)
    base = request.absolute_url(head)
    return lambda slug: base + quote(slug, safe="") + tail


def _latest(*values):
    present = [as_utc(v) for v in values if v is not None]
    return max(present, default=None)


def _with_texts(stmt, item_id):
    """``stmt`` joined to the item's texts in each language (which may be missing)."""
    id_text, en_text = aliased(ItemText), aliased(ItemText)
    stmt = stmt.outerjoin(id_text, (id_text.item_id == item_id) & (id_text.lang == "id"))
    stmt = stmt.outerjoin(en_text, (en_text.item_id == item_id) & (en_text.lang == "en"))
    return stmt, id_text.updated_at, en_text.updated_at


def count_public_items(dbsession):
    return dbsession.scalar(select(func.count()).select_from(Item).where(*content._public()))


def sitemap_rows(dbsession, first_id, end_id):
    """(type, slug, changed in id, changed in en) of public items with first_id <= id < end_id."""
    # The block of items is chosen first, so only its texts are joined (PostgreSQL would
    # otherwise hash-join every text and sort the lot).
    page = (
        select(Item.id, Item.type, Item.slug, Item.updated_at)
        .where(*content._public(), Item.id >= first_id, Item.id < end_id)
        .subquery()
    )
    stmt, id_at, en_at = _with_texts(select(page).select_from(page), page.c.id)
    stmt = stmt.with_only_columns(page.c.type, page.c.slug, page.c.updated_at, id_at, en_at)
    for item_type, slug, item_at, id_changed, en_changed in dbsession.execute(
        stmt.order_by(page.c.id)
    ):
        # The English page shows the Indonesian text (or a "stale" notice) when that changes.
        yield (
            item_type,
            slug,
            _latest(item_at, id_changed),
            _latest(item_at, id_changed, en_changed),
        )


# The lists in the sitemap, with the type of item whose changes date them (None: any).
LIST_PAGES = (("home", None), ("topics", "topic"), ("examples", "example"))


def guide_pages():
    """(route name, matchdict) of the pages built from content that are not items."""
    return [("guide", {}), ("glossary", {})] + [
        ("comparison", {"comparison": c.name}) for c in comparisons.COMPARISONS
    ]


_SITEMAP_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_URLSET = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)


def _url_pair(id_url, en_url, id_changed, en_changed):
    """The <url> elements of one page in both languages, each naming the other."""
    # Written by hand rather than with a template: a sitemap part has thousands of these.
    id_url, en_url = html.escape(id_url), html.escape(en_url)
    links = (
        f'<xhtml:link rel="alternate" hreflang="id" href="{id_url}"/>'
        f'<xhtml:link rel="alternate" hreflang="en" href="{en_url}"/>'
        f'<xhtml:link rel="alternate" hreflang="x-default" href="{id_url}"/>'
    )
    return "".join(
        f"<url><loc>{loc}</loc>"
        + (f"<lastmod>{w3c_datetime(changed)}</lastmod>" if changed else "")
        + links
        + "</url>\n"
        for loc, changed in ((id_url, id_changed), (en_url, en_changed))
    )


def _xml_response(body):
    return Response(body=body.encode("utf-8"), content_type="application/xml", charset="utf-8")


@view_config(route_name="sitemap", permission=VIEW, request_method=("GET", "HEAD"))
def sitemap(request):
    """An index of parts; part n lists the public items with ids in one block of 1 000.

    Blocks by id never move when items are added, renamed or trashed, so an edit changes
    the one part that lists the item (and the index only when a block fills or empties);
    each part has at most 2 000 URLs, cheap to build cold.
    """
    dbsession = request.dbsession
    if "page" not in request.GET:
        request.show("sm")
        sitemap_url = html.escape(request.absolute_url(request.route_path("sitemap")))
        return _xml_response(
            _SITEMAP_HEAD
            + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(
                f"<sitemap><loc>{sitemap_url}?page={n}</loc></sitemap>\n"
                for n in sitemap_parts(dbsession)
            )
            + "</sitemapindex>\n"
        )
    part = page_number(request)  # 400 when malformed
    request.show(f"sm:{part}")
    first = (part - 1) * SITEMAP_PART_ITEMS
    if part not in sitemap_parts(dbsession):
        raise HTTPNotFound()
    rows = list(sitemap_rows(dbsession, first, first + SITEMAP_PART_ITEMS))
    chunks = [_SITEMAP_HEAD, _URLSET]
    if part == 1:
        # The lists are dated by the last content change: one row, where the newest change
        # of each type was an aggregate over every item and text (seconds at 100 000).
        request.show("any")
        changed = _content_changed_at(request)
        for name, _item_type in LIST_PAGES:
            id_url = request.absolute_url(request.route_path(name))
            en_url = request.absolute_url(request.route_path(route_name_for("en", name)))
            chunks.append(_url_pair(id_url, en_url, changed, changed))
        # The guide, the comparisons and the glossary: built from content, dated like the lists.
        for name, kw in guide_pages():
            id_url = request.absolute_url(request.route_path(name, **kw))
            en_url = request.absolute_url(request.route_path(route_name_for("en", name), **kw))
            chunks.append(_url_pair(id_url, en_url, changed, changed))

    builders = {
        (item_type, lang): _slug_url(request, route_name_for(lang, item_type))
        for item_type in ("topic", "example")
        for lang in ("id", "en")
    }
    for item_type, slug, id_changed, en_changed in rows:
        id_url = builders[(item_type, "id")](slug)
        en_url = builders[(item_type, "en")](slug)
        chunks.append(_url_pair(id_url, en_url, id_changed, en_changed))
    chunks.append("</urlset>\n")
    return _xml_response("".join(chunks))


def sitemap_parts(dbsession):
    """Part 1 (with the lists) up to the block of the newest public item.

    Read off the primary key's end, not by grouping every item; a block whose items are
    all drafts or trashed is an empty part, which sitemaps allow.
    """
    newest = dbsession.scalar(select(func.max(Item.id)).where(*content._public())) or 0
    return range(1, newest // SITEMAP_PART_ITEMS + 2)


ROBOTS_DISALLOW = ("/admin/", "/login")


@view_config(route_name="robots", permission=VIEW, request_method=("GET", "HEAD"))
def robots(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append("Sitemap: " + request.absolute_url(request.route_path("sitemap")))
    return Response(
        body=("\n".join(lines) + "\n").encode("utf-8"), content_type="text/plain", charset="utf-8"
    )
