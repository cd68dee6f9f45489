"""The review step: when the site setting is on, editors submit and administrators publish.

Each step (submit, approve, send back) is a revision of the item with an audit entry;
the state of the request lives in ``review_requests`` (one row per item), so the
dashboard's lists are index reads. The setting itself is a row of ``site_settings``.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Item, ItemText, ReviewRequest
from . import audit, clock, editing, site_settings

SETTING = "review_required"


def required(dbsession):
    return site_settings.get(dbsession, SETTING) == "on"


def set_required(dbsession, user, on, client_addr=""):
    value = "on" if on else "off"
    if site_settings.get(dbsession, SETTING, "off") == value:
        return False
    site_settings.set(dbsession, SETTING, value)
    audit.record(
        dbsession,
        "settings.change",
        user=user,
        client_addr=client_addr,
        setting=SETTING,
        value=value,
    )
    return True


def may_publish(dbsession, user):
    """Administrators always; editors only while the review step is off."""
    return user.role == "admin" or not required(dbsession)


def request_for(dbsession, item):
    return dbsession.get(ReviewRequest, item.id) if item is not None else None


def submit(dbsession, item, user, comment=""):
    row = request_for(dbsession, item)
    if row is None:
        row = ReviewRequest(item_id=item.id)
        dbsession.add(row)
    row.state, row.submitted_by, row.reviewer_id = "pending", user.id, None
    row.comment, row.updated_at = comment or "", clock.now()
    return editing.log_change(dbsession, item, "submit", user, comment)


def approve(dbsession, item, expected_version, user, comment=""):
    """Publish the item as it stands (the version the administrator reviewed)."""
    editing.check_version(item, expected_version)
    row = request_for(dbsession, item)
    if row is not None:
        dbsession.delete(row)
    if item.status == "published":
        return editing.log_change(dbsession, item, "approve", user, comment)
    return editing.set_status(dbsession, item, "published", user, "approve", comment)


def send_back(dbsession, item, expected_version, user, comment):
    editing.check_version(item, expected_version)
    row = request_for(dbsession, item)
    if row is None:
        row = ReviewRequest(item_id=item.id, submitted_by=None)
        dbsession.add(row)
    row.state, row.reviewer_id, row.comment = "returned", user.id, comment
    row.updated_at = clock.now()
    return editing.log_change(dbsession, item, "return", user, comment)


def _listed():
    return (
        selectinload(ReviewRequest.item)
        .selectinload(Item.texts)
        .load_only(ItemText.lang, ItemText.title),
        selectinload(ReviewRequest.submitter),
        selectinload(ReviewRequest.reviewer),
    )


def waiting(dbsession, state, limit, submitted_by=None):
    """Requests in ``state``, oldest first; of one editor with ``submitted_by``."""
    stmt = select(ReviewRequest).where(ReviewRequest.state == state)
    if submitted_by is not None:
        stmt = stmt.where(ReviewRequest.submitted_by == submitted_by)
    return list(
        dbsession.scalars(
            stmt.order_by(ReviewRequest.updated_at, ReviewRequest.item_id)
            .limit(limit)
            .options(*_listed())
        )
    )
