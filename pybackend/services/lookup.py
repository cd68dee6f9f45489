"""Finding items by the start of their slug or Indonesian title, through an index.

For the link picker (GET /admin/lookup) and the search of the editors' lists: each query
walks an index from the prefix and stops at its LIMIT, so it costs the same at 100 000
topics as at 12. PostgreSQL matches with LIKE 'abc%' on text_pattern_ops indexes (right
under any collation); SQLite with a range over its binary-ordered indexes.
"""

from sqlalchemy import and_, func, select

from ..models import Item, ItemText

LOOKUP_LIMIT = 20
# The lists' search sorts at most this many matches of each kind by slug.
SEARCH_CAP = 1000
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _dialect(dbsession):
    return dbsession.get_bind().dialect.name


def starts_with(column, prefix, dialect):
    """A condition "``column`` starts with ``prefix``" that an index on ``column`` serves."""
    if dialect == "postgresql":
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return column >= prefix
    return and_(column >= prefix, column < prefix[:-1] + chr(last + 1))


def fold(prefix, dialect):
    """``prefix`` lowered the way the database's lower() lowers (SQLite: ASCII only)."""
    return prefix.lower() if dialect == "postgresql" else prefix.translate(_ASCII_LOWER)


def _live(item_type):
    return [Item.type == item_type, Item.deleted_at.is_(None)]


def by_slug(dbsession, item_type, prefix, limit, where=()):
    """[(id, slug)] of live items whose slug starts with ``prefix``, by slug; ``where``:
    more conditions on Item (the lists' filters)."""
    dialect = _dialect(dbsession)
    stmt = (
        select(Item.id, Item.slug)
        .where(*_live(item_type), *where, starts_with(Item.slug, prefix.lower(), dialect))
        .order_by(Item.slug)
        .limit(limit)
    )
    return [tuple(row) for row in dbsession.execute(stmt)]


def by_title(dbsession, item_type, prefix, limit, where=()):
    """[(id, slug)] of live items whose Indonesian title starts with ``prefix`` (any case)."""
    dialect = _dialect(dbsession)
    lowered = func.lower(ItemText.title)
    stmt = (
        select(Item.id, Item.slug)
        .select_from(ItemText)
        .join(Item, Item.id == ItemText.item_id)
        .where(
            ItemText.lang == "id",
            starts_with(lowered, fold(prefix, dialect), dialect),
            *_live(item_type),
            *where,
        )
        .order_by(lowered)
        .limit(limit)
    )
    return [tuple(row) for row in dbsession.execute(stmt)]


def find(dbsession, item_type, prefix, limit=LOOKUP_LIMIT, exclude_id=None):
    """Up to ``limit`` live items for the link picker: slug matches first, then titles.

    [{"id", "slug", "title"}], the title in Indonesian.
    """
    prefix = prefix.strip()
    if not prefix:
        return []
    found = {}
    for item_id, slug in by_slug(dbsession, item_type, prefix, limit + 1) + by_title(
        dbsession, item_type, prefix, limit + 1
    ):
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


def search_ids(dbsession, item_type, prefix, where=()):
    """(ids sorted by slug, capped): live items whose slug or title starts with ``prefix``.

    ``capped`` is True when either kind of match had more than SEARCH_CAP rows: the list
    then shows the first ones and asks for a longer prefix.
    """
    slugs = by_slug(dbsession, item_type, prefix, SEARCH_CAP + 1, where)
    titles = by_title(dbsession, item_type, prefix, SEARCH_CAP + 1, where)
    capped = len(slugs) > SEARCH_CAP or len(titles) > SEARCH_CAP
    merged = dict(slugs[:SEARCH_CAP] + titles[:SEARCH_CAP])
    return sorted(merged, key=merged.get), capped


def ids_for_slugs(dbsession, item_type, slugs):
    """{slug: id} of the live items of ``item_type`` with these (current) slugs."""
    if not slugs:
        return {}
    rows = dbsession.execute(
        select(Item.slug, Item.id).where(*_live(item_type), Item.slug.in_(sorted(set(slugs))))
    )
    return dict(rows.all())
