"""Logging in and out (AUTH-3, AUTH-4, AUTH-6, SESS-2, CSRF-2)."""

import re
import time
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.settings import asbool
from pyramid.view import view_config

from .. import security
from ..forms import LoginForm
from ..i18n import _
from ..services import accounts, audit, two_factor
from ..tool_forms import LoginCodeForm
from .errors import error_response

PENDING_COOKIE = "pybackend_2fa"
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
    if accounts.has_second_factor(request.dbsession, user):
        return _ask_for_code(request, user, form.next.data)
    return _logged_in(request, user, form.next.data)


def _logged_in(request, user, next_path):
    security.login(request, user)
    security.flash(request, _("Selamat datang, ${name}.", mapping={"name": user.username}))
    return HTTPSeeOther(location=safe_next(request, next_path))


def _ask_for_code(request, user, next_path):
    """The password was right: a signed cookie good for a few minutes carries it to the code."""
    expires = time.time() + two_factor.PENDING_SECONDS
    value = request.registry["session_signer"].sign(two_factor.pending_token(user, expires))
    response = HTTPSeeOther(
        location=request.route_path("login.code", _query={"next": next_path} if next_path else {})
    )
    response.set_cookie(
        PENDING_COOKIE,
        value,
        max_age=two_factor.PENDING_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=asbool(request.registry.settings.get("pybackend.secure_cookies", False)),
        path="/login",
    )
    return response


@view_config(
    route_name="login.code",
    renderer="pybackend:templates/auth/code.jinja2",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD", "POST"),
)
def login_code(request):
    """The second step: a TOTP or recovery code, throttled like passwords (AUTH-7)."""
    signer = request.registry["session_signer"]
    token = signer.verify(request.cookies.get(PENDING_COOKIE, ""))
    user = two_factor.pending_user(request.dbsession, token) if token else None
    if user is None:
        security.flash(request, _("Masukkan nama pengguna dan kata sandi lagi."))
        return HTTPSeeOther(location=request.route_path("login"))
    posted = request.method == "POST"
    form = LoginCodeForm(request.POST if posted else None, next=request.GET.get("next", ""))
    if not posted:
        return {"form": form, "failed": False}
    if not form.validate():
        request.response.status_int = 400
        return {"form": form, "failed": False}
    try:
        ok = two_factor.verify_login(
            request.dbsession, user, form.code.data, request.client_addr or ""
        )
    except accounts.Throttled as throttled:
        return error_response(
            request,
            429,
            _("Terlalu banyak percobaan masuk. Coba lagi nanti."),
            headers={"Retry-After": str(throttled.retry_after)},
        )
    if not ok:
        request.response.status_int = 400
        form.code.data = ""
        return {"form": form, "failed": True}
    response = _logged_in(request, user, form.next.data)
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


@view_config(route_name="logout", permission=NO_PERMISSION_REQUIRED, request_method="POST")
def logout(request):
    if request.identity is not None:
        audit.record_request(request, "logout")
    security.logout(request)
    return HTTPSeeOther(location=request.route_path("home"))
