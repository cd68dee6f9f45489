"""Every route. Reader pages exist twice: Indonesian at the root, English under /en/."""

from pyramid.authorization import Allow, Everyone
from pyramid.httpexceptions import (
    HTTPForbidden,
    HTTPMethodNotAllowed,
    HTTPMovedPermanently,
    HTTPNotFound,
)

from . import static
from .i18n import EN_PREFIX
from .models import Item, User
from .models.item import SLUG_MAX
from .security import MANAGE_USERS, VIEW, Root
from .services import content
from .services.cache import STATIC_PREFIX, cacheable_route
from .services.editing import MAX_INT
from .services.images import NAME_PATTERN as IMAGE_NAME

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


ADMIN_TYPE = "{item_type:topics|examples}"
ID = "{id:[0-9]{1,18}(?!\\n)}"


def add_admin_routes(config):
    """The editors' area. Items are addressed by id, so renaming a slug moves nothing."""
    config.add_route("admin.home", "/admin/")
    config.add_route("admin.home.noslash", "/admin")
    config.add_route("admin.items", f"/admin/{ADMIN_TYPE}")
    config.add_route("admin.item.new", f"/admin/{ADMIN_TYPE}/new")
    config.add_route("admin.items.bulk", f"/admin/{ADMIN_TYPE}/bulk")
    for name, suffix in (
        ("admin.item.edit", ""),
        ("admin.item.delete", "/delete"),
        ("admin.item.history", "/history"),
        ("admin.item.diff", "/diff"),
        ("admin.item.revert", "/revisions/{number:[0-9]{1,9}}/restore"),
        ("admin.item.revision", "/revisions/{number:[0-9]{1,9}(?!\\n)}"),
        ("admin.item.schedule", "/schedule"),
        ("admin.item.review", "/review"),
    ):
        config.add_route(name, f"/admin/{ADMIN_TYPE}/{ID}{suffix}", factory=admin_item_factory)
    config.add_route(
        "admin.item.previews", f"/admin/{ADMIN_TYPE}/{ID}/previews", factory=admin_item_factory
    )
    config.add_route(
        "admin.item.preview.revoke",
        f"/admin/{ADMIN_TYPE}/{ID}/previews/{{link:[0-9]{{1,18}}}}/revoke",
        factory=admin_item_factory,
    )
    config.add_route("admin.trash", "/admin/trash")
    config.add_route("admin.trash.bulk", "/admin/trash/bulk")
    config.add_route(
        "admin.trash.restore", f"/admin/trash/{ID}/restore", factory=admin_item_factory
    )
    config.add_route("admin.preview", "/admin/preview")
    config.add_route("admin.images", "/admin/images")
    config.add_route("admin.image", f"/admin/images/{ID}", factory=admin_image_factory)
    config.add_route(
        "admin.image.delete", f"/admin/images/{ID}/delete", factory=admin_image_factory
    )
    config.add_route(
        "admin.image.restore", f"/admin/images/{ID}/restore", factory=admin_image_factory
    )
    config.add_route("admin.lookup", "/admin/lookup")
    config.add_route("admin.autosave", "/admin/autosave")
    config.add_route("admin.autosave.discard", "/admin/autosave/discard")
    config.add_route("admin.settings", "/admin/settings")
    config.add_route("admin.users", "/admin/users")
    config.add_route("admin.user.new", "/admin/users/new")
    config.add_route("admin.user", f"/admin/users/{ID}", factory=admin_user_factory)
    config.add_route("admin.audit", "/admin/audit")
    config.add_route("admin.password", "/admin/password")
    config.add_route("admin.two_factor", "/admin/two-factor")
    config.add_route("admin.settings.two_factor", "/admin/settings/two-factor")
    config.add_route("admin.language", "/admin/language")


class AdminResource:
    """A row loaded for the editors' area; permissions come from the root ACL."""

    __acl__ = Root.__acl__

    def __init__(self, obj):
        self.obj = obj


def _id(request):
    if request.identity is None:
        # Anonymous: off to the login page (the forbidden view), whether or not it exists.
        raise HTTPForbidden()
    value = int(request.matchdict["id"])
    if value > MAX_INT:  # no such row, and PostgreSQL would refuse the number
        raise HTTPNotFound()
    return value


def admin_item_factory(request):
    item = request.dbsession.get(Item, _id(request))
    item_type = request.matchdict.get("item_type")
    if item is None or (item_type and item.type != item_type[:-1]):
        raise HTTPNotFound()
    return AdminResource(item)


def admin_image_factory(request):
    _id(request)  # anonymous: to the login page
    return Root(request)


def admin_user_factory(request):
    user_id = _id(request)
    if not request.has_permission(MANAGE_USERS, Root(request)):
        raise HTTPForbidden()  # before the lookup: editors cannot probe which ids exist
    user = request.dbsession.get(User, user_id)
    if user is None:
        raise HTTPNotFound()
    return AdminResource(user)


STATIC_METHODS = ("GET", "HEAD")


def static_factory(request):
    """Static files are read-only: any other method is a 405 with ``Allow``.

    Pyramid's static view takes every method (a POST with a CSRF token got the file), and
    add_static_view cannot give it a request_method; its route factory runs before the
    view and its CSRF check, so the 405 is the same for everyone.
    """
    if request.method not in STATIC_METHODS:
        raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(STATIC_METHODS)})
    return Root(request)


def includeme(config):
    config.add_static_view(
        STATIC_PREFIX.strip("/"),
        "pybackend:static",
        cache_max_age=static.SHORT_MAX_AGE,  # a year when the URL is busted (static.py)
        factory=static_factory,
    )
    config.include(".static")
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

    add_localized_route(config, "guide", "/compare", cacheable=True)
    comparison = "{comparison:[a-z0-9]+(?:-[a-z0-9]+)*(?!\\n)}"
    add_localized_route(config, "comparison", f"/compare/{comparison}", cacheable=True)
    add_localized_route(config, "glossary", "/glossary", cacheable=True)

    config.add_route("login", "/login")
    config.add_route("login.code", "/login/code")
    # Uploaded images, by content hash (nginx serves the same directory in production).
    config.add_route("image", f"/media/images/{{name:{IMAGE_NAME}}}")
    # A draft revision for anyone holding the link (views/preview.py): never cached.
    config.add_route("preview", "/preview/{token:[A-Za-z0-9_-]{20,64}(?!\\n)}")
    config.add_route("logout", "/logout")
    add_admin_routes(config)

    # The read-only JSON API (views/api.py); the language comes from ?lang=.
    for name, pattern in (
        ("api.openapi", "/api/v1/openapi.json"),
        ("api.topics", "/api/v1/topics"),
        ("api.topic", f"/api/v1/topics/{SLUG}"),
        ("api.examples", "/api/v1/examples"),
        ("api.example", f"/api/v1/examples/{SLUG}"),
        ("api.comparisons", "/api/v1/comparisons"),
        ("api.comparison", "/api/v1/comparisons/" + comparison),
        ("api.glossary", "/api/v1/glossary"),
        ("api.search", "/api/v1/search"),
    ):
        config.add_route(name, pattern)
        cacheable_route(name)
