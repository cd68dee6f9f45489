"""The editors' area: every view needs a role (the root ACL grants EDIT to editors and admins)."""

from pyramid.httpexceptions import HTTPMovedPermanently
from pyramid.view import view_config

from ...security import EDIT


def admin_view_config(**settings):
    """view_config for the editors' area: a permission is required, EDIT unless stated."""
    settings.setdefault("permission", EDIT)
    settings.setdefault("request_method", ("GET", "HEAD"))
    return view_config(**settings)


@view_config(route_name="admin.home.noslash", permission=EDIT, request_method=("GET", "HEAD"))
def admin_home_without_slash(request):
    return HTTPMovedPermanently(location=request.route_path("admin.home"))
