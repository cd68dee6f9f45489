"""The link picker's suggestions: topics by the start of their slug or title, as JSON."""

from pyramid.httpexceptions import HTTPBadRequest

from ...i18n import _
from ...services import lookup
from . import admin_view_config, single_param


@admin_view_config(route_name="admin.lookup", renderer="json")
def lookup_view(request):
    """GET /admin/lookup?type=topic&q=dja: the link picker's suggestions, as JSON.

    {"results": [{"id", "slug", "title"}]}, at most lookup.LOOKUP_LIMIT, slug prefix
    matches first; ``exclude`` leaves out the item being edited (no self-links).
    """
    item_type = single_param(request, "type", ("topic", "example"))
    if not item_type:
        raise HTTPBadRequest(_("Jenis halaman tidak dikenal."))
    query = single_param(request, "q")
    exclude = single_param(request, "exclude")
    if len(query) > 100 or (exclude and not (exclude.isdigit() and len(exclude) < 19)):
        raise HTTPBadRequest(_("Pencarian tidak valid."))
    request.response.cache_control = "private, no-store"
    results = lookup.find(
        request.dbsession, item_type, query, exclude_id=int(exclude) if exclude else None
    )
    return {"results": results}
