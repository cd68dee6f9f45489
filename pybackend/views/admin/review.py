"""The review step in the editors' area, and the site settings page that turns it on."""

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther

from ... import security
from ...editorial_forms import ReviewForm, SettingsForm
from ...i18n import _
from ...services import editing, review
from . import admin_view_config


def context(request, item):
    """What the edit page needs to know about the review step."""
    required = review.required(request.dbsession)
    row = review.request_for(request.dbsession, item)
    return {
        "required": required,
        "may_publish": review.may_publish(request.dbsession, request.identity),
        "request": row,
        # Changes to the published item that wait (or came back): a revision of their own.
        "proposal": review.proposal_of(request.dbsession, item, row) if row else None,
        "form": ReviewForm(data={"version": str(item.version)}) if item is not None else None,
    }


MUST_REVIEW = _(
    "Halaman harus ditinjau dulu: ajukan untuk ditinjau, administrator yang menerbitkan."
)
REVIEW_OFF = _("Tahap tinjauan tidak aktif; simpan atau terbitkan langsung.")


def may_publish(request, action, result):
    """Whether the edit form's ``action`` is allowed now; if not, the page says why."""
    if action == "publish" and not review.may_publish(request.dbsession, request.identity):
        request.response.status_int = 403
        result["refused"] = MUST_REVIEW
        return False
    if action == "submit" and not review.required(request.dbsession):
        request.response.status_int = 400
        result["refused"] = REVIEW_OFF
        return False
    return True


PROPOSED = _("Perubahan Anda menunggu tinjauan; pembaca masih melihat halaman yang terbit.")


def propose(request, item, expected_version, draft, comment):
    """Changes to a published item wait for review (services/review.py: propose)."""
    review.propose(request.dbsession, item, expected_version, draft, request.identity, comment)
    security.flash(request, PROPOSED)


def submit(request, item, comment):
    review.submit(request.dbsession, item, request.identity, comment)
    security.flash(request, _("Diajukan untuk ditinjau."))


def _edit_url(request, item):
    return request.route_path("admin.item.edit", item_type=item.type + "s", id=item.id)


@admin_view_config(
    route_name="admin.item.review",
    renderer="pybackend:templates/admin/items/review.jinja2",
    request_method="POST",
    permission=security.REVIEW,
)
def review_decision(request):
    """Approve (publish) or send back with a comment; administrators only."""
    item = request.context.obj
    if item.deleted_at is not None:
        raise HTTPBadRequest(_("Halaman ini ada di tempat sampah."))
    decision = request.POST.get("decision")
    if decision not in ("approve", "return"):
        raise HTTPBadRequest(_("Keputusan tinjauan tidak dikenal."))
    form = ReviewForm(request.POST)
    result = {"admin_section": item.type + "s", "item": item, "form": form, "stale": False}
    valid = form.validate()
    if decision == "return" and not form.comment.data:
        form.comment.errors = [*form.comment.errors, _("Tulis apa yang perlu diubah.")]
        valid = False
    if not valid:
        request.response.status_int = 400
        return result
    try:
        if decision == "approve":
            review.approve(
                request.dbsession, item, form.version.data, request.identity, form.comment.data
            )
            message = _("Disetujui dan diterbitkan.")
        else:
            review.send_back(
                request.dbsession, item, form.version.data, request.identity, form.comment.data
            )
            message = _("Dikembalikan ke editor dengan komentar Anda.")
    except editing.Conflict:
        request.response.status_int = 409
        result["stale"] = True
        form.version.data = str(item.version)
        return result
    security.flash(request, message)
    return HTTPSeeOther(location=_edit_url(request, item))


@admin_view_config(
    route_name="admin.settings",
    renderer="pybackend:templates/admin/settings.jinja2",
    request_method=("GET", "HEAD", "POST"),
    permission=security.REVIEW,
)
def settings_view(request):
    dbsession = request.dbsession
    posted = request.method == "POST"
    form = SettingsForm(
        request.POST if posted else None, data={"review_required": review.required(dbsession)}
    )
    result = {"admin_section": "settings", "form": form}
    if not posted:
        return result
    if not form.validate():
        request.response.status_int = 400
        return result
    review.set_required(
        dbsession, request.identity, bool(form.review_required.data), request.client_addr or ""
    )
    security.flash(request, _("Pengaturan disimpan."))
    return HTTPSeeOther(location=request.route_path("admin.settings"))
