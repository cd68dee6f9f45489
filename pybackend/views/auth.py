"""Logging in and out (AUTH-3, AUTH-4, AUTH-6, SESS-2, CSRF-2)."""

import re
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from .. import security
from ..forms import LoginForm
from ..i18n import _
from ..services import accounts, audit
from .errors import error_response

_SAFE_NEXT = re.compile(r"^/(?![/\\])[\x21-\x7e]*$")


def safe_next(request, value):
    """A same-site relative path to go to after login, else the admin home (AUTH-6)."""
    value = value or ""
    if _SAFE_NEXT.match(value) and "\\" not in value:
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc:
            return value
    return request.route_path("admin.home")


@view_config(
    route_name="login",
    renderer="pybackend:templates/auth/login.jinja2",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD", "POST"),
)
def login(request):
    # The form carries a CSRF token bound to this browser: no cache may keep or share it.
    request.response.cache_control = "no-store"
    if request.identity is not None and request.method != "POST":
        return HTTPSeeOther(location=safe_next(request, request.GET.get("next")))
    form = LoginForm(
        request.POST if request.method == "POST" else None, next=request.GET.get("next", "")
    )
    if request.method != "POST":
        return {"form": form, "failed": False}
    if not form.validate():
        request.response.status_int = 400
        return {"form": form, "failed": False}
    try:
        user = accounts.authenticate(
            request.dbsession, form.username.data, form.password.data, request.client_addr or ""
        )
    except accounts.Throttled as throttled:
        return error_response(
            request,
            429,
            _("Terlalu banyak percobaan masuk. Coba lagi nanti."),
            headers={"Retry-After": str(throttled.retry_after)},
        )
    if user is None:
        request.response.status_int = 400
        form.password.data = ""
        return {"form": form, "failed": True}
    security.login(request, user)
    security.flash(request, _("Selamat datang, ${name}.", mapping={"name": user.username}))
    return HTTPSeeOther(location=safe_next(request, form.next.data))


@view_config(route_name="logout", permission=NO_PERMISSION_REQUIRED, request_method="POST")
def logout(request):
    if request.identity is not None:
        audit.record_request(request, "logout")
    security.logout(request)
    return HTTPSeeOther(location=request.route_path("home"))
