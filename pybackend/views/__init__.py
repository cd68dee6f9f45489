"""Helpers shared by the reader views."""

import functools
import re

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.view import view_config

from ..i18n import _
from ..metadata import item_changed_at
from ..services import content

MAX_PAGE = 100_000
_PAGE_RE = re.compile(r"^[0-9]{1,6}$")


def localized_view_config(route_name, **settings):
    """Register a view for the Indonesian route and for its English twin under /en/."""

    def wrap(wrapped):
        for name in (route_name, f"en.{route_name}"):
            view_config(route_name=name, _depth=1, **settings)(wrapped)
        return wrapped

    return wrap


def page_number(request):
    """The ``page`` query parameter: 1 when absent; 400 when malformed, repeated or absurd."""
    values = request.GET.getall("page")
    if not values:
        return 1
    if len(values) > 1:
        raise HTTPBadRequest(_("Parameter halaman hanya boleh muncul sekali."))
    value = values[0]
    if not _PAGE_RE.match(value) or not 1 <= int(value) <= MAX_PAGE:
        raise HTTPBadRequest(_("Nomor halaman harus bilangan bulat positif."))
    return int(value)


class Paginator:
    """One page of a list, from the ``page`` parameter (400 when malformed).

    With a ``total`` the pages are numbered "3 of 7" and a page past the end is a 404.
    Without one (``Paginator.fetch``) one row more than a page is read to tell whether a
    next page exists, so a long list never needs a count of every row; a page past the
    end is a 404 all the same. ``params`` are the query parameters page links keep (the
    filters); the route's own parts (an item's id) are kept too.
    """

    def __init__(self, request, total, per_page, params=None):
        self.request = request
        self.total = total
        self.per_page = per_page
        self.params = {name: value for name, value in (params or {}).items() if value}
        self.page = page_number(request)
        self.pages = None if total is None else max(1, -(-total // per_page))
        if self.pages is not None and self.page > self.pages:
            raise HTTPNotFound(_("Halaman ini tidak ada."))
        self.offset = (self.page - 1) * per_page
        self.has_next = self.pages is not None and self.page < self.pages

    @classmethod
    def fetch(cls, request, per_page, rows, params=None):
        """(paginator, the rows of this page); ``rows(offset, limit)`` returns a list."""
        pager = cls(request, None, per_page, params)
        found = list(rows(pager.offset, per_page + 1))
        if not found and pager.page > 1:
            raise HTTPNotFound(_("Halaman ini tidak ada."))
        pager.has_next = len(found) > per_page
        return pager, found[:per_page]

    @property
    def previous(self):
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self):
        return self.page + 1 if self.has_next else None

    def url(self, page):
        route = self.request.matched_route
        query = dict(self.params)
        if page > 1:
            query["page"] = page
        return self.request.route_path(route.name, _query=query, **self.request.matchdict)


class ItemPage:
    """What a template needs to show one item in the reader's language."""

    def __init__(self, request, item):
        lang = request.locale_name
        self.request = request
        self.item = item
        self.text, self.fallback = content.text_for(item, lang)
        # The language the text is written in (differs from the page when we fall back).
        self.text_lang = "id" if self.fallback else lang
        self.stale = content.is_stale(item, lang)
        self.url = request.lroute_path(item.type, slug=item.slug)
        request.show(f"i{item.id}", item_changed_at(item))

    @property
    def title(self):
        return self.text.title if self.text else self.item.slug

    @property
    def summary(self):
        return self.text.summary if self.text else ""

    @functools.cached_property
    def _document(self):
        return content.render_document(self.request, self.text.body if self.text else "")

    @property
    def body_html(self):
        return self._document[0]

    @property
    def toc(self):
        """The body's sections, for a table of contents (empty on short pages)."""
        return self._document[1]

    @property
    def updated_at(self):
        """When the item last changed (what "last updated" shows)."""
        return self.item.updated_at

    def source_url(self):
        """The Indonesian original of this page."""
        return self.request.lroute_path(self.item.type, lang="id", slug=self.item.slug)


def own_page(request, item):
    """An item's own page: it changes with the item's links and backlinks too."""
    request.show(f"p{item.id}")
    return ItemPage(request, item)


def item_pages(request, items):
    return [ItemPage(request, item) for item in items]
