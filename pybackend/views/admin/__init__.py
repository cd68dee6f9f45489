"""The editors' area: every view needs a role (the root ACL grants EDIT to editors and admins)."""

from pyramid.httpexceptions import HTTPBadRequest, HTTPMovedPermanently
from pyramid.view import view_config
from sqlalchemy import select

from ...forms import CONTROL_CHARACTERS
from ...i18n import _
from ...security import EDIT


def admin_view_config(**settings):
    """view_config for the editors' area: a permission is required, EDIT unless stated."""
    settings.setdefault("permission", EDIT)
    settings.setdefault("request_method", ("GET", "HEAD"))
    return view_config(**settings)


@view_config(route_name="admin.home.noslash", permission=EDIT, request_method=("GET", "HEAD"))
def admin_home_without_slash(request):
    return HTTPMovedPermanently(location=request.route_path("admin.home"))


def single_param(request, name, allowed=None, params=None):
    """A query parameter (or a field of ``params``) given at most once, of the allowed
    values; else 400."""
    values = (request.GET if params is None else params).getall(name)
    if len(values) > 1 or (allowed is not None and values and values[0] not in allowed):
        raise HTTPBadRequest(_("Saringan tidak dikenal."))
    value = values[0] if values else ""
    if CONTROL_CHARACTERS.search(value):
        raise HTTPBadRequest(_("Teks tidak boleh berisi karakter kontrol."))
    return value


def rows_in_order(dbsession, model, ids, options=()):
    """The rows of ``model`` with these ids, in the order of ``ids``."""
    found = dbsession.scalars(select(model).where(model.id.in_(ids)).options(*options))
    rows = {row.id: row for row in found}
    return [rows[i] for i in ids if i in rows]


def page_of_rows(dbsession, model, ids_stmt, offset, limit, options=()):
    """The rows ``ids_stmt`` (a select of ``model.id``, ordered) finds at ``offset``.

    The ids come first, from the index alone (SQLite and PostgreSQL skip a deep offset's
    rows in the index without reading them), then just those rows: page 1 500 of a list
    costs about what page 1 does.
    """
    ids = list(dbsession.scalars(ids_stmt.offset(offset).limit(limit)))
    return rows_in_order(dbsession, model, ids, options)
