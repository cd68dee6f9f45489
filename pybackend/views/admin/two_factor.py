"""One's own second factor (enrol, confirm, new recovery codes, turn off), and the
administrators' site setting that requires it of every account (AUTH-7)."""

from markupsafe import Markup
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther

from ... import security
from ...i18n import _
from ...security import MANAGE_USERS, OWN_ACCOUNT
from ...services import audit, passwords, site_settings, two_factor
from ...tool_forms import PasswordConfirmForm, TwoFactorConfirmForm
from . import admin_view_config

TEMPLATE = "pybackend:templates/admin/two_factor.jinja2"


def _result(request, **extra):
    dbsession = request.dbsession
    user = request.identity
    row = two_factor.row(dbsession, user)
    result = {
        "admin_section": "two_factor",
        "row": row,
        "enabled": row is not None and row.enabled_at is not None,
        "required": two_factor.required(dbsession),
        "remaining": two_factor.remaining_recovery_codes(dbsession, user),
        "confirm_form": TwoFactorConfirmForm(),
        "password_form": PasswordConfirmForm(),
        "recovery_codes": None,
        "enrolment": None,
    }
    if row is not None and row.enabled_at is None:
        uri = two_factor.provisioning_uri(user, row.secret)
        result["enrolment"] = {
            "secret": " ".join(row.secret[i : i + 4] for i in range(0, len(row.secret), 4)),
            # segno writes only paths of its own; no user text goes into the markup.
            "qr": Markup(two_factor.qr_svg(uri)),  # noqa: S704
        }
    result.update(extra)
    return result


@admin_view_config(
    route_name="admin.two_factor",
    permission=OWN_ACCOUNT,
    request_method=("GET", "HEAD", "POST"),
    renderer=TEMPLATE,
)
def two_factor_page(request):
    if request.method != "POST":
        return _result(request)
    action = request.POST.get("action", "")
    user = request.identity
    dbsession = request.dbsession
    if action == "start":
        if two_factor.enabled(dbsession, user):
            return HTTPSeeOther(location=request.route_path("admin.two_factor"))
        two_factor.start_enrolment(dbsession, user)
        return HTTPSeeOther(location=request.route_path("admin.two_factor"))
    if action == "confirm":
        form = TwoFactorConfirmForm(request.POST)
        if form.validate():
            try:
                codes = two_factor.confirm_enrolment(
                    dbsession, user, form.code.data, request.client_addr or ""
                )
            except two_factor.InvalidCode:
                form.code.errors.append(_("Kode salah. Periksa jam ponsel dan coba lagi."))
            else:
                return _result(request, recovery_codes=codes)
        request.response.status_int = 400
        return _result(request, confirm_form=form)
    if action in ("disable", "regenerate"):
        form = PasswordConfirmForm(request.POST)
        ok = form.validate()
        if ok:
            ok, _rehash = passwords.verify_password(user.password_hash, form.current_password.data)
            if not ok:
                form.current_password.errors.append(_("Kata sandi sekarang salah."))
        if not ok or not two_factor.enabled(dbsession, user):
            request.response.status_int = 400
            return _result(request, password_form=form)
        if action == "regenerate":
            codes = two_factor.new_recovery_codes(dbsession, user)
            audit.record_request(request, "2fa.recovery_codes", obj=user)
            return _result(request, recovery_codes=codes)
        two_factor.disable(dbsession, user, client_addr=request.client_addr or "")
        security.flash(request, _("Verifikasi dua langkah dimatikan."))
        return HTTPSeeOther(location=request.route_path("admin.two_factor"))
    if action == "cancel":
        if not two_factor.enabled(dbsession, user):
            two_factor.disable(dbsession, user, client_addr=request.client_addr or "")
        return HTTPSeeOther(location=request.route_path("admin.two_factor"))
    raise HTTPBadRequest(_("Tindakan tidak dikenal."))


@admin_view_config(
    route_name="admin.settings.two_factor", permission=MANAGE_USERS, request_method=("POST",)
)
def require_two_factor(request):
    """Administrators: require (or stop requiring) a second factor of every account."""
    value = request.POST.get("require", "")
    if value not in ("0", "1"):
        raise HTTPBadRequest(_("Nilai tidak dikenal."))
    site_settings.set(request.dbsession, site_settings.REQUIRE_2FA, value)
    audit.record_request(request, "settings.require_2fa", value=value)
    if value == "1":
        message = _("Verifikasi dua langkah kini wajib untuk setiap akun.")
    else:
        message = _("Verifikasi dua langkah tidak lagi wajib.")
    security.flash(request, message)
    return HTTPSeeOther(location=request.route_path("admin.users"))
