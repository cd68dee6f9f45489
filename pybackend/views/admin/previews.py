"""Preview links of an item, from its edit page: create one (shown once), revoke one."""

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther

from ... import security
from ...i18n import _
from ...models import PreviewLink
from ...services import preview_links
from ...tool_forms import PreviewLinkForm
from . import admin_view_config


def _edit_url(request, item):
    return request.route_path("admin.item.edit", item_type=item.type + "s", id=item.id)


@admin_view_config(
    route_name="admin.item.previews",
    request_method=("POST",),
    renderer="pybackend:templates/admin/items/preview_created.jinja2",
)
def create(request):
    item = request.context.obj
    if item.deleted_at is not None:
        raise HTTPNotFound(_("Halaman ini ada di tempat sampah."))
    form = PreviewLinkForm(request.POST)
    if not form.validate():
        request.response.status_int = 400
        return {"admin_section": item.type + "s", "item": item, "form": form, "url": None}
    link, token = preview_links.create(
        request.dbsession,
        item,
        request.identity,
        form.days.data,
        client_addr=request.client_addr or "",
    )
    # Shown on this page only: the token is stored hashed and cannot be shown again.
    url = request.route_url("preview", token=token)
    return {"admin_section": item.type + "s", "item": item, "form": form, "url": url, "link": link}


@admin_view_config(route_name="admin.item.preview.revoke", request_method=("POST",))
def revoke(request):
    item = request.context.obj
    link = request.dbsession.get(PreviewLink, int(request.matchdict["link"]))
    if link is None or link.item_id != item.id:
        raise HTTPNotFound()
    preview_links.revoke(
        request.dbsession, link, request.identity, client_addr=request.client_addr or ""
    )
    security.flash(request, _("Tautan pratinjau dicabut."))
    return HTTPSeeOther(location=_edit_url(request, item) + "#previews")
