"""Every route. Reader pages exist twice: Indonesian at the root, English under /en/."""

from pyramid.authorization import Allow, Everyone
from pyramid.httpexceptions import HTTPMovedPermanently, HTTPNotFound

from .i18n import EN_PREFIX
from .models.item import SLUG_MAX
from .security import VIEW
from .services import content
from .services.cache import cacheable_route

# Only well-formed slugs reach a factory; anything else is a 404 before any query.
SLUG = "{slug:[a-z0-9]+(?:-[a-z0-9]+)*(?!\\n)}"


class ItemResource:
    """A published topic or example, loaded by its route factory."""

    def __init__(self, item):
        self.item = item
        self.__acl__ = [(Allow, Everyone, VIEW)]


def item_factory(item_type):
    def factory(request):
        slug = request.matchdict["slug"]
        if len(slug) > SLUG_MAX:
            raise HTTPNotFound()
        item = content.public_item(request.dbsession, item_type, slug)
        if item is not None:
            return ItemResource(item)
        current = content.renamed_item_slug(request.dbsession, item_type, slug)
        if current is not None:
            path = request.lroute_path(item_type, slug=current, _query=request.GET)
            raise HTTPMovedPermanently(location=request.absolute_url(path))
        raise HTTPNotFound()

    return factory


def add_localized_route(config, name, pattern, cacheable=False, **kw):
    """Add route ``name`` and its English twin ``en.name`` under /en/."""
    for route_name, route_pattern in ((name, pattern), (f"en.{name}", EN_PREFIX + pattern)):
        config.add_route(route_name, route_pattern, **kw)
        if cacheable:
            cacheable_route(route_name)


def includeme(config):
    config.add_static_view("static", "pybackend:static", cache_max_age=3600)
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")

    add_localized_route(config, "home", "/", cacheable=True)
    config.add_route("en.home.noslash", EN_PREFIX)
    add_localized_route(config, "topics", "/topics", cacheable=True)
    add_localized_route(
        config, "topic", f"/topics/{SLUG}", factory=item_factory("topic"), cacheable=True
    )
    add_localized_route(config, "search", "/search", cacheable=True)
    add_localized_route(config, "feed", "/feed.atom", cacheable=True)
    config.add_route("sitemap", "/sitemap.xml")
    cacheable_route("sitemap")
    config.add_route("robots", "/robots.txt")
    cacheable_route("robots")
    add_localized_route(config, "examples", "/examples", cacheable=True)
    add_localized_route(
        config, "example", f"/examples/{SLUG}", factory=item_factory("example"), cacheable=True
    )

    # The read-only JSON API (views/api.py); the language comes from ?lang=.
    for name, pattern in (
        ("api.openapi", "/api/v1/openapi.json"),
        ("api.topics", "/api/v1/topics"),
        ("api.topic", f"/api/v1/topics/{SLUG}"),
        ("api.examples", "/api/v1/examples"),
        ("api.example", f"/api/v1/examples/{SLUG}"),
        ("api.search", "/api/v1/search"),
    ):
        config.add_route(name, pattern)
        cacheable_route(name)
