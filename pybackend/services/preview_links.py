"""Preview links: one revision of an item, for anyone holding the link, until it expires.

The link carries 256 random bits; the table keeps their SHA-256 only, so neither a copy
of the database nor the audit log opens anything. A link expires after DEFAULT_DAYS
unless the editor chooses otherwise (at most MAX_DAYS), and can be revoked at any time.
"""

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select

from ..models import PreviewLink, Revision
from . import audit, clock

# A week covers a review round with a colleague away for a few days; a month at most, so a
# forgotten link in an old e-mail stops working by itself.
DEFAULT_DAYS = 7
MAX_DAYS = 30
LINKS_SHOWN = 20
TOKEN_BYTES = 32


def _hash(token):
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def latest_revision(dbsession, item):
    return dbsession.scalars(
        select(Revision).where(Revision.item_id == item.id).order_by(Revision.number.desc())
    ).first()


def create(dbsession, item, user, days=DEFAULT_DAYS, client_addr=""):
    """(link, token) for the item's current revision; the token is shown once."""
    if not 1 <= int(days) <= MAX_DAYS:
        raise ValueError(days)
    revision = latest_revision(dbsession, item)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    link = PreviewLink(
        token_hash=_hash(token),
        item_id=item.id,
        revision_id=revision.id,
        created_by=user.id if user is not None else None,
        created_at=now,
        expires_at=now + dt.timedelta(days=int(days)),
    )
    dbsession.add(link)
    dbsession.flush()
    audit.record(
        dbsession,
        "preview.create",
        user=user,
        obj=item,
        client_addr=client_addr,
        slug=item.slug,
        revision=revision.number,
        link=link.id,
        days=int(days),
    )
    return link, token


def revoke(dbsession, link, user, client_addr=""):
    if link.revoked_at is None:
        link.revoked_at = clock.now()
        audit.record(
            dbsession,
            "preview.revoke",
            user=user,
            obj=link.item,
            client_addr=client_addr,
            slug=link.item.slug,
            link=link.id,
        )
        dbsession.flush()


def is_live(link):
    return link.revoked_at is None and clock.aware(link.expires_at) > clock.now()


def find(dbsession, token):
    """The live link for ``token``, else None (unknown, expired, revoked, item in the trash)."""
    if not token or len(token) > 64 or not token.isascii():
        return None
    link = dbsession.scalars(
        select(PreviewLink).where(PreviewLink.token_hash == _hash(token))
    ).first()
    if link is None or not is_live(link) or link.item.deleted_at is not None:
        return None
    return link


def for_item(dbsession, item, limit=LINKS_SHOWN):
    """(newest links of the item, how many it has in all)."""
    links = dbsession.scalars(
        select(PreviewLink)
        .where(PreviewLink.item_id == item.id)
        .order_by(PreviewLink.created_at.desc(), PreviewLink.id.desc())
        .limit(limit)
    ).all()
    total = dbsession.scalar(
        select(func.count()).select_from(PreviewLink).where(PreviewLink.item_id == item.id)
    )
    return links, total
