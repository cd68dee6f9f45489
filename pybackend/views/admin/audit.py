"""The audit log, for administrators: read only, newest first, filtered (ERR-2).

No view edits or deletes an entry: the log is append-only.
"""

from pyramid.httpexceptions import HTTPBadRequest
from sqlalchemy import select

from ...i18n import _
from ...models import AuditEntry
from ...security import VIEW_AUDIT
from ...services import accounts
from .. import Paginator
from . import admin_view_config, page_of_rows, single_param

ENTRIES_PER_PAGE = 50
KNOWN_ACTIONS = (
    "login",
    "login.failure",
    "login.lockout",
    "logout",
    "user.create",
    "user.role",
    "user.disable",
    "user.enable",
    "user.password",
    "user.password.failure",
    "content.create",
    "content.update",
    "content.publish",
    "content.unpublish",
    "content.delete",
    "content.restore",
    "content.revert",
    "content.purge",
)
OBJECT_TYPES = ("topic", "example", "user")


def _username(request):
    values = request.GET.getall("username")
    if len(values) > 1:
        raise HTTPBadRequest(_("Saringan tidak dikenal."))
    value = accounts.normalize_username(values[0] if values else "")
    if len(value) > 50 or "\x00" in value:
        raise HTTPBadRequest(_("Saringan tidak dikenal."))
    return value


@admin_view_config(
    route_name="admin.audit",
    permission=VIEW_AUDIT,
    renderer="pybackend:templates/admin/audit.jinja2",
)
def audit_log(request):
    filters = {
        "action": single_param(request, "action", ("", *KNOWN_ACTIONS)),
        "username": _username(request),
        "object_type": single_param(request, "object_type", ("", *OBJECT_TYPES)),
    }
    ids = select(AuditEntry.id)
    if filters["action"]:
        ids = ids.where(AuditEntry.action == filters["action"])
    if filters["username"]:
        ids = ids.where(AuditEntry.username == filters["username"])
    if filters["object_type"]:
        ids = ids.where(AuditEntry.object_type == filters["object_type"])
    # Newest first along the filter's (action, at, id) index; no count of the whole log.
    ids = ids.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    pager, entries = Paginator.fetch(
        request,
        ENTRIES_PER_PAGE,
        lambda offset, limit: page_of_rows(request.dbsession, AuditEntry, ids, offset, limit),
        filters,
    )
    return {
        "admin_section": "audit",
        "entries": entries,
        "pager": pager,
        "filters": filters,
        "actions": KNOWN_ACTIONS,
        "object_types": OBJECT_TYPES,
    }
