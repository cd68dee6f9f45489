"""Publish and unpublish times of an item (services/schedule.py applies them)."""

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther

from ... import security
from ...editorial_forms import TIME_FORMAT, ScheduleForm
from ...i18n import _
from ...services import review, schedule
from . import admin_view_config


def form_for(item, pending, formdata=None):
    data = {f"{row.action}_at": row.due_at for row in pending}
    form = ScheduleForm(formdata, item=item, data=data)
    return form


def context(request, item):
    pending = schedule.pending_for(request.dbsession, item)
    return {"pending": pending, "form": form_for(item, pending), "time_format": TIME_FORMAT}


@admin_view_config(
    route_name="admin.item.schedule",
    renderer="pybackend:templates/admin/items/schedule.jinja2",
    request_method="POST",
)
def schedule_view(request):
    item = request.context.obj
    if item.deleted_at is not None:
        raise HTTPBadRequest(_("Halaman ini ada di tempat sampah."))
    action = request.POST.get("schedule")
    if action not in ("save", "cancel"):
        raise HTTPBadRequest(_("Tindakan tidak dikenal."))
    pending = schedule.pending_for(request.dbsession, item)
    form = form_for(item, pending, request.POST)
    result = {"admin_section": item.type + "s", "item": item, "form": form, "pending": pending}
    if action == "cancel":
        if pending:
            schedule.set_times(request.dbsession, item, request.identity, {})
            security.flash(request, _("Jadwal dibatalkan."))
        return HTTPSeeOther(location=_edit_url(request, item))
    if not form.validate():
        request.response.status_int = 400
        return result
    times = {"publish": form.publish_at.data, "unpublish": form.unpublish_at.data}
    if times["publish"] and not review.may_publish(request.dbsession, request.identity):
        request.response.status_int = 403
        form.publish_at.errors = [
            _("Halaman harus ditinjau dulu; administrator yang menjadwalkan terbitnya.")
        ]
        return result
    if not times["publish"] and not times["unpublish"]:
        form.publish_at.errors = [_("Isi waktu terbit, waktu turun, atau keduanya.")]
        request.response.status_int = 400
        return result
    schedule.set_times(request.dbsession, item, request.identity, times, form.comment.data)
    security.flash(request, _("Jadwal disimpan."))
    return HTTPSeeOther(location=_edit_url(request, item))


def _edit_url(request, item):
    return request.route_path("admin.item.edit", item_type=item.type + "s", id=item.id)
