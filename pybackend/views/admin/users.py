"""Accounts, for administrators: list, add, change the role, disable and enable.

Every change is audited. An administrator cannot disable or demote themselves, so there
is always at least one active administrator. Disabling ends the user's sessions.
"""

import re

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.renderers import render_to_response
from sqlalchemy import func, select

from ... import security
from ...forms import UserAddForm, UserEditForm
from ...i18n import _
from ...models import TwoFactor, User, UserSession
from ...security import MANAGE_USERS
from ...services import accounts, audit, site_settings
from .. import Paginator
from ..errors import failed_save_page
from . import admin_view_config

_VERSION = re.compile(r"^[0-9]{1,9}$")
ACTIONS = ("role", "disable", "enable")
USERS_PER_PAGE = 50


@admin_view_config(
    route_name="admin.users",
    permission=MANAGE_USERS,
    renderer="pybackend:templates/admin/users.jinja2",
)
def user_list(request):
    stmt = select(User).order_by(User.username)  # the unique index on username
    pager, users = Paginator.fetch(
        request,
        USERS_PER_PAGE,
        lambda offset, limit: request.dbsession.scalars(stmt.offset(offset).limit(limit)),
    )
    enrolled = set(
        request.dbsession.scalars(
            select(TwoFactor.user_id).where(
                TwoFactor.user_id.in_([user.id for user in users]),
                TwoFactor.enabled_at.is_not(None),
            )
        )
    )
    return {
        "admin_section": "users",
        "users": users,
        "pager": pager,
        "enrolled": enrolled,
        "require_2fa": site_settings.get_flag(request.dbsession, site_settings.REQUIRE_2FA),
    }


@admin_view_config(
    route_name="admin.user.new",
    permission=MANAGE_USERS,
    request_method=("GET", "HEAD", "POST"),
    renderer="pybackend:templates/admin/user_new.jinja2",
)
def user_new(request):
    posted = request.method == "POST"
    form = UserAddForm(request.POST if posted else None)
    result = {"admin_section": "users", "form": form, "error": None}
    if not posted:
        return result
    if not form.validate():
        request.response.status_int = 400
        return result
    dbsession = request.dbsession
    if accounts.get_user(dbsession, form.username.data) is not None:
        form.username.errors.append(_("Nama pengguna ini sudah dipakai."))
        request.response.status_int = 400
        return result
    try:
        user = accounts.create_user(
            dbsession, form.username.data, form.password.data, form.role.data
        )
    except accounts.AccountError as error:
        result["error"] = error.args[0]
        request.response.status_int = 400
        return result
    audit.record_request(request, "user.create", obj=user, target=user.username, role=user.role)
    security.flash(request, _("Akun ${name} dibuat.", mapping={"name": user.username}))
    return HTTPSeeOther(location=request.route_path("admin.users"))


@failed_save_page("admin.user.new")
def failed_user_new(request):
    """The form again after the database refused the new account (never the passwords)."""
    value = {
        "admin_section": "users",
        "form": UserAddForm(request.POST),
        "error": None,
        "save_failed": True,
    }
    return render_to_response("pybackend:templates/admin/user_new.jinja2", value, request=request)


def _single(request, name):
    values = request.POST.getall(name)
    return values[0] if len(values) == 1 else None


@admin_view_config(
    route_name="admin.user",
    permission=MANAGE_USERS,
    request_method=("GET", "HEAD", "POST"),
    renderer="pybackend:templates/admin/user.jinja2",
)
def user_edit(request):
    user = request.context.obj
    me = request.identity
    dbsession = request.dbsession
    posted = request.method == "POST"
    action = (_single(request, "action") or "") if posted else ""
    if posted and action not in ACTIONS:
        raise HTTPBadRequest(_("Tindakan tidak dikenal."))
    form = UserEditForm(
        request.POST if action == "role" else None,
        data={"role": user.role, "version": str(user.version)},
    )
    result = {
        "admin_section": "users",
        # Not "user": the layout uses that name for whoever is logged in.
        "account": user,
        "form": form,
        "is_self": user.id == me.id,
        "sessions": dbsession.scalar(
            select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
        ),
        "error": None,
        "stale": False,
    }
    if not posted:
        return result
    if action == "role" and not form.validate():
        request.response.status_int = 400
        return result
    version = form.version.data if action == "role" else _single(request, "version")
    if not _VERSION.match(version or "") or int(version) != user.version:
        # Someone changed this account since the page was loaded: show it as it is now.
        request.response.status_int = 409
        result["form"] = UserEditForm(data={"role": user.role, "version": str(user.version)})
        result["stale"] = True
        return result
    if action == "role":
        return _change_role(request, user, form, result)
    return _set_disabled(request, user, action == "disable", result)


def _change_role(request, user, form, result):
    role = form.role.data
    if role == user.role:
        security.flash(request, _("Tidak ada yang berubah."))
    elif result["is_self"]:
        form.role.errors.append(_("Anda tidak dapat menurunkan peran Anda sendiri."))
        request.response.status_int = 400
        return result
    else:
        before = user.role
        accounts.set_role(request.dbsession, user, role)
        audit.record_request(
            request, "user.role", obj=user, target=user.username, before=before, role=role
        )
        security.flash(
            request,
            _("Peran ${name} sekarang ${role}.", mapping={"name": user.username, "role": role}),
        )
    return HTTPSeeOther(location=request.route_path("admin.user", id=user.id))


def _set_disabled(request, user, disable, result):
    if disable and result["is_self"]:
        result["error"] = _("Anda tidak dapat menonaktifkan akun Anda sendiri.")
        request.response.status_int = 400
        return result
    if disable == (user.disabled_at is not None):
        security.flash(request, _("Tidak ada yang berubah."))
    else:
        accounts.set_disabled(request.dbsession, user, disable)
        audit.record_request(
            request, "user.disable" if disable else "user.enable", obj=user, target=user.username
        )
        message = (
            _(
                "Akun ${name} dinonaktifkan; semua sesinya diakhiri.",
                mapping={"name": user.username},
            )
            if disable
            else _("Akun ${name} diaktifkan kembali.", mapping={"name": user.username})
        )
        security.flash(request, message)
    return HTTPSeeOther(location=request.route_path("admin.user", id=user.id))
