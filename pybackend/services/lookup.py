"""Finding items by the start of their slug or Indonesian title, through an index.

For the link picker (GET /admin/lookup) and the search of the editors' lists: each query
walks an index from the prefix and stops at its LIMIT, so it costs the same at 100 000
topics as at 12. The comparisons and the indexes are byte-ordered (models/bytewise.py),
so a prefix is a range on both backends whatever the database's collation.
"""

from sqlalchemy import and_, func, select

from ..models import Item, ItemText
from ..models.bytewise import bytewise

LOOKUP_LIMIT = 20
# The lists' search sorts at most this many matches of each kind by slug.
SEARCH_CAP = 500
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _dialect(dbsession):
    return dbsession.get_bind().dialect.name


def starts_with(expr, prefix):
    """``expr`` (a bytewise() expression) starts with ``prefix``: a range an index serves."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return expr >= prefix
    return and_(expr >= prefix, expr < prefix[:-1] + chr(last + 1))


def fold(prefix, dialect):
    """``prefix`` lowered the way the database's lower() lowers (SQLite: ASCII only)."""
    return prefix.lower() if dialect == "postgresql" else prefix.translate(_ASCII_LOWER)


def _live(item_type):
    return [Item.type == item_type, Item.deleted_at.is_(None)]


def by_slug(dbsession, item_type, prefix, limit, filters=None):
    """[(id, slug)] of live items whose slug starts with ``prefix``, by slug; ``filters``:
    {column name: value} the items must have too (the lists' status and translation)."""
    slug = bytewise(Item.slug)
    where = [getattr(Item, name) == value for name, value in (filters or {}).items()]
    stmt = (
        select(Item.id, Item.slug)
        .where(*_live(item_type), *where, starts_with(slug, prefix.lower()))
        .order_by(slug)
        .limit(limit)
    )
    return [tuple(row) for row in dbsession.execute(stmt)]


def by_title(dbsession, item_type, prefix, limit, filters=None, scan=None):
    """([(id, slug)], more): live items whose Indonesian title starts with ``prefix`` (any
    case), by title; ``more`` when over ``scan`` titles (default ``limit``) matched.

    Two steps: up to ``scan`` matching titles from the title index alone, then their
    items by primary key, filtered here. With the filters in one query, SQLite (without
    statistics) walked every live item's index entry, and PostgreSQL's planner preferred
    a pass over every item once a prefix matched a few thousand titles.
    """
    scan = scan or limit
    lowered = bytewise(func.lower(ItemText.title))
    ids = list(
        dbsession.scalars(
            select(ItemText.item_id)
            .where(ItemText.lang == "id", starts_with(lowered, fold(prefix, _dialect(dbsession))))
            .order_by(lowered)
            .limit(scan + 1)
        )
    )
    wanted = {"type": item_type, "deleted_at": None, **(filters or {})}
    columns = [getattr(Item, name) for name in wanted]
    rows = dbsession.execute(select(Item.id, Item.slug, *columns).where(Item.id.in_(ids[:scan])))
    keep = {
        row[0]: row[1]
        for row in rows
        if all(value == expected for value, expected in zip(row[2:], wanted.values(), strict=True))
    }
    return [(i, keep[i]) for i in ids[:scan] if i in keep][:limit], len(ids) > scan


def find(dbsession, item_type, prefix, limit=LOOKUP_LIMIT, exclude_id=None):
    """Up to ``limit`` live items for the link picker: slug matches first, then titles.

    [{"id", "slug", "title"}], the title in Indonesian.
    """
    prefix = prefix.strip()
    if not prefix:
        return []
    found = {}
    # Examples' titles share the index: read a few more titles than suggestions.
    by_titles, _more = by_title(dbsession, item_type, prefix, limit + 1, scan=3 * limit)
    for item_id, slug in by_slug(dbsession, item_type, prefix, limit + 1) + by_titles:
        if item_id != exclude_id:
            found.setdefault(item_id, slug)
    ids = list(found)[:limit]
    titles = dict(
        dbsession.execute(
            select(ItemText.item_id, ItemText.title).where(
                ItemText.item_id.in_(ids), ItemText.lang == "id"
            )
        ).all()
    )
    return [{"id": i, "slug": found[i], "title": titles.get(i, found[i])} for i in ids]


def search_ids(dbsession, item_type, prefix, filters=None):
    """(ids sorted by slug, capped): live items whose slug or title starts with ``prefix``.

    ``capped`` is True when more than SEARCH_CAP slugs or titles matched: the list then
    shows the first ones and asks for a longer prefix.
    """
    slugs = by_slug(dbsession, item_type, prefix, SEARCH_CAP + 1, filters)
    titles, more_titles = by_title(dbsession, item_type, prefix, SEARCH_CAP, filters)
    capped = len(slugs) > SEARCH_CAP or more_titles
    merged = dict(slugs[:SEARCH_CAP] + titles)
    return sorted(merged, key=merged.get), capped


def ids_for_slugs(dbsession, item_type, slugs):
    """{slug: id} of the live items of ``item_type`` with these (current) slugs."""
    if not slugs:
        return {}
    rows = dbsession.execute(
        select(Item.slug, Item.id).where(*_live(item_type), Item.slug.in_(sorted(set(slugs))))
    )
    return dict(rows.all())
