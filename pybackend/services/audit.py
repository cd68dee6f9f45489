"""The append-only audit log (ERR-2)."""

import json

from ..models import AuditEntry


def _escape(value):
    # Log forging: a newline in a username must not start a fake line anywhere.
    return str(value).replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def record(dbsession, action, user=None, username="", obj=None, client_addr="", **detail):
    """Append one entry. ``detail`` must never hold secrets (no passwords, no tokens)."""
    entry = AuditEntry(
        action=action,
        user_id=user.id if user is not None else None,
        username=_escape(user.username if user is not None else username)[:50],
        object_type=(getattr(obj, "type", None) or type(obj).__name__.lower()) if obj else "",
        object_id=getattr(obj, "id", None) if obj is not None else None,
        detail=json.dumps({k: _escape(v) for k, v in detail.items()}, ensure_ascii=False)
        if detail
        else "",
        client_addr=_escape(client_addr)[:64],
    )
    dbsession.add(entry)
    return entry


def record_request(request, action, obj=None, **detail):
    """Record an action by the current user of ``request``."""
    return record(
        request.dbsession,
        action,
        user=request.identity,
        obj=obj,
        client_addr=request.client_addr or "",
        **detail,
    )
