"""Bulk actions on the editors' lists: one transaction, a revision and an audit entry per item.

The confirmation page lists exactly which items (and at which version) an action will
change; running it changes those and nothing else. An item that someone changed since
the confirmation, or that is already in the state asked for, is left alone and reported.
At most MAX_ITEMS items go into one action, so its transaction and its confirmation page
stay bounded at any size of the site: "all matching" takes the first MAX_ITEMS by slug,
and says how many remain for another run.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Item, ItemText, ReviewRequest
from . import audit, editing, review

# One action, one transaction: 200 items is ~200 revisions and a confirmation page of
# about 40 KB; the page re-renders after the commit run in the background.
MAX_ITEMS = 200
# Counting how many match stops here: the number is shown as "more than 10 000".
COUNT_CAP = 10_000
LIST_ACTIONS = ("publish", "unpublish", "trash", "submit")
TRASH_ACTIONS = ("restore",)


def actions_for(dbsession, user):
    """The list actions ``user`` may take now: with the review step on, an editor submits
    for review instead of publishing (services/review.py)."""
    first = "publish" if review.may_publish(dbsession, user) else "submit"
    return (first, "unpublish", "trash")


def pending(dbsession, items):
    """The ids of these items that wait for a review already."""
    ids = [item.id for item in items]
    if not ids:
        return set()
    stmt = select(ReviewRequest.item_id).where(
        ReviewRequest.item_id.in_(ids), ReviewRequest.state == "pending"
    )
    return set(dbsession.scalars(stmt))


def applies(item, action, waiting=frozenset()):
    """Whether ``action`` would change ``item``; ``waiting``: the ids already submitted."""
    if action == "restore":
        return item.deleted_at is not None
    if item.deleted_at is not None:
        return False
    if action == "submit":
        return item.id not in waiting
    if action == "publish":
        return item.status != "published"
    if action == "unpublish":
        return item.status == "published"
    return action == "trash"


def load(dbsession, ids, item_type=None):
    """The items with these ids (of ``item_type``), in this order, with titles only."""
    if not ids:
        return []
    titles = selectinload(Item.texts).load_only(ItemText.lang, ItemText.title)
    stmt = select(Item).where(Item.id.in_(ids)).options(titles)
    if item_type is not None:
        stmt = stmt.where(Item.type == item_type)
    rows = {item.id: item for item in dbsession.scalars(stmt)}
    return [rows[i] for i in ids if i in rows]


def run(dbsession, action, versions, user, comment="", client_addr="", item_type=None):
    """Apply ``action`` to ``{item_id: version confirmed}``; returns (done, changed, unchanged)."""
    done, changed, unchanged = [], [], []
    items = load(dbsession, list(versions), item_type)
    waiting = pending(dbsession, items) if action == "submit" else frozenset()
    for item in items:
        if item.version != versions[item.id]:
            changed.append(item)
            continue
        if not applies(item, action, waiting):
            unchanged.append(item)
            continue
        if action == "publish" or action == "unpublish":
            editing.set_status(
                dbsession,
                item,
                "published" if action == "publish" else "draft",
                user,
                comment=comment,
                expected_version=item.version,
            )
        elif action == "trash":
            editing.delete_item(dbsession, item, item.version, user, comment)
        elif action == "submit":
            review.submit(dbsession, item, user, comment)
        else:
            editing.restore_item(dbsession, item, user, comment)
        done.append(item)
    audit.record(
        dbsession,
        f"bulk.{action}",
        user=user,
        client_addr=client_addr,
        done=len(done),
        changed=len(changed),
        unchanged=len(unchanged),
    )
    return done, changed, unchanged
