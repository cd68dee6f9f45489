"""The review step: when the site setting is on, editors submit and administrators publish.

Each step (submit, approve, send back) is a revision of the item with an audit entry;
the state of the request lives in ``review_requests`` (one row per item), so the
dashboard's lists are index reads. The setting itself is a row of ``site_settings``.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Item, ItemText, ReviewRequest, Revision
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


def _pending(dbsession, item, user, comment, proposal=None):
    row = request_for(dbsession, item)
    if row is None:
        row = ReviewRequest(item_id=item.id)
        dbsession.add(row)
    row.state, row.submitted_by, row.reviewer_id = "pending", user.id, None
    row.comment, row.updated_at, row.proposal = comment or "", clock.now(), proposal
    return row


def submit(dbsession, item, user, comment=""):
    """The item as it stands waits for an administrator (a draft, usually)."""
    _pending(dbsession, item, user, comment)
    return editing.log_change(dbsession, item, "submit", user, comment)


def must_propose(dbsession, item, user):
    """Whether a save of ``item`` by ``user`` must wait for review instead of going live:
    the step is on, the item is published, and the user may not publish."""
    return item.status == "published" and not may_publish(dbsession, user)


def propose(dbsession, item, expected_version, draft, user, comment=""):
    """Changes to a published item that readers must not see before an administrator
    approves them: kept as a revision of their own ("propose", the item as it would be)
    that the review request names. The item and its pages stay as they are."""
    editing.check_version(item, expected_version)
    data = editing.draft_snapshot(dbsession, item, draft)
    revision = editing.log_change(dbsession, item, "propose", user, comment, data=data)
    _pending(dbsession, item, user, comment, proposal=revision.number)
    return revision


def proposal_of(dbsession, item, row=None):
    """The "propose" revision the item's review request names, if any."""
    row = row if row is not None else request_for(dbsession, item)
    if row is None or row.proposal is None:
        return None
    return dbsession.scalars(
        select(Revision).where(Revision.item_id == item.id, Revision.number == row.proposal)
    ).first()


def approve(dbsession, item, expected_version, user, comment=""):
    """Publish the item as it stands (the version the administrator reviewed), or, when
    the request holds proposed changes, apply them and publish.

    Proposed changes were made over one version of the item: if it changed since (an
    administrator's own save), approving them would undo that, so it is a Conflict."""
    editing.check_version(item, expected_version)
    row = request_for(dbsession, item)
    proposal = proposal_of(dbsession, item, row)
    if proposal is not None and proposal.item_version != item.version:
        raise editing.Conflict(item)  # before anything changes: the 409 page commits
    if row is not None:
        dbsession.delete(row)
    if proposal is not None:
        return editing.update_item(
            dbsession,
            item,
            item.version,
            editing.draft_of(dbsession, proposal.data),
            user,
            comment or f"#{proposal.number}",
            publish=True,
            action="approve",
        )
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
