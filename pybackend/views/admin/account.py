"""Changing one's own password: the current one first; every other session ends (SESS-1)."""

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther

from ... import security
from ...forms import LanguageForm, PasswordChangeForm
from ...i18n import _
from ...services import accounts, audit, passwords
from . import admin_view_config


@admin_view_config(
    route_name="admin.password",
    request_method=("GET", "HEAD", "POST"),
    renderer="pybackend:templates/admin/password.jinja2",
)
def password_change(request):
    posted = request.method == "POST"
    form = PasswordChangeForm(request.POST if posted else None)
    result = {"admin_section": "password", "form": form}
    if not posted:
        return result
    user = request.identity
    if not form.validate():
        request.response.status_int = 400
        return result
    ok, _rehash = passwords.verify_password(user.password_hash, form.current_password.data)
    if not ok:
        audit.record_request(request, "user.password.failure", obj=user, target=user.username)
        form.current_password.errors.append(_("Kata sandi sekarang salah."))
        request.response.status_int = 400
        return result
    try:
        accounts.set_password(
            request.dbsession, user, form.password.data, keep_session=request.user_session
        )
    except accounts.AccountError as error:
        form.password.errors.append(error.args[0])
        request.response.status_int = 400
        return result
    audit.record_request(request, "user.password", obj=user, target=user.username)
    security.flash(request, _("Kata sandi diganti. Sesi Anda di tempat lain sudah diakhiri."))
    return HTTPSeeOther(location=request.route_path("admin.password"))


@admin_view_config(route_name="admin.language", request_method="POST")
def language_choice(request):
    """The language of the editors' area for this user; back to the screen they were on."""
    form = LanguageForm(request.POST)
    if not form.validate():
        raise HTTPBadRequest(_("Bahasa tidak dikenal."))
    user = request.identity
    if user.lang != form.lang.data:
        user.lang = form.lang.data
        audit.record_request(request, "user.language", obj=user, lang=user.lang)
    back = form.next.data or ""
    if not (back.startswith("/admin/") or back == "/admin") or back.startswith("//"):
        back = request.route_path("admin.home")
    return HTTPSeeOther(location=back)
