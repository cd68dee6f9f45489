"""Reading published content: the queries behind every reader page."""

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..models import Item, Link, Reference, SlugHistory
from ..models.item import SOURCE_LANGUAGE, TOPIC_KINDS
from . import markdown, pages

RELATION_KINDS = ("alternative_to", "successor_of", "related_to", "built_on")
# A topic may also use another (Celery uses RabbitMQ): shown as "uses" on its page and
# as "used by" on the other's.
TOPIC_LINK_KINDS = (*RELATION_KINDS, "uses")

_kind_order = case({kind: n for n, kind in enumerate(TOPIC_KINDS)}, value=Item.kind, else_=99)


def _public():
    return (Item.status == "published", Item.deleted_at.is_(None))


def public_item(dbsession, item_type, slug):
    stmt = (
        select(Item)
        .where(Item.type == item_type, Item.slug == slug, *_public())
        .options(selectinload(Item.texts), selectinload(Item.sources), selectinload(Item.facts))
    )
    return dbsession.scalars(stmt).first()


def renamed_item_slug(dbsession, item_type, old_slug):
    """The current slug of the public item that was once called ``old_slug``."""
    stmt = (
        select(Item.slug)
        .join(SlugHistory, SlugHistory.item_id == Item.id)
        .where(SlugHistory.type == item_type, SlugHistory.slug == old_slug, *_public())
    )
    return dbsession.scalars(stmt).first()


def count_public(dbsession, item_type, kind=None):
    stmt = select(func.count()).select_from(Item).where(Item.type == item_type, *_public())
    if kind is not None:
        stmt = stmt.where(Item.kind == kind)
    return dbsession.scalar(stmt)


def list_public(dbsession, item_type, offset=0, limit=50, kind=None):
    """Public items of a type, topics grouped by kind, then by slug."""
    stmt = select(Item).where(Item.type == item_type, *_public())
    if kind is not None:
        stmt = stmt.where(Item.kind == kind)
    if item_type == "topic":
        stmt = stmt.order_by(_kind_order, Item.slug)
    else:
        stmt = stmt.order_by(Item.slug)
    stmt = stmt.offset(offset).limit(limit).options(selectinload(Item.texts))
    return list(dbsession.scalars(stmt))


def topics_by_kind(dbsession, per_kind):
    """For the home page: up to ``per_kind`` topics of each kind, with each kind's total."""
    groups = []
    for kind in TOPIC_KINDS:
        total = dbsession.scalar(
            select(func.count())
            .select_from(Item)
            .where(Item.type == "topic", Item.kind == kind, *_public())
        )
        if total:
            groups.append((kind, list_public(dbsession, "topic", limit=per_kind, kind=kind), total))
    return groups


# Made once: building an alias copies every column of the table, which cost more than
# running the query.
_link_source = aliased(Item, name="link_source")
_link_target = aliased(Item, name="link_target")


def _other_public_side(dbsession, item, kinds):
    """Links of ``kinds`` touching ``item`` with a public other end: (link, other, outgoing)."""
    source, target = _link_source, _link_target
    stmt = (
        select(Link, source, target)
        .join(source, Link.source_id == source.id)
        .join(target, Link.target_id == target.id)
        .where(
            Link.kind.in_(kinds),
            or_(Link.source_id == item.id, Link.target_id == item.id),
            source.status == "published",
            source.deleted_at.is_(None),
            target.status == "published",
            target.deleted_at.is_(None),
        )
        .order_by(Link.position, Link.id)
        .options(selectinload(source.texts), selectinload(target.texts))
    )
    rows = []
    for link, src, tgt in dbsession.execute(stmt):
        outgoing = src.id == item.id
        rows.append((link, tgt if outgoing else src, outgoing))
    return rows


def used_by(dbsession, topic):
    """Examples that use ``topic``, with the link (and its note)."""
    return [
        (link, other)
        for link, other, out in _other_public_side(dbsession, topic, ["uses"])
        if not out
    ]


def uses(dbsession, example):
    """Topics that ``example`` uses."""
    return [
        (link, other)
        for link, other, out in _other_public_side(dbsession, example, ["uses"])
        if out
    ]


def related(dbsession, topic):
    """Related topics as (link, other, outgoing): outgoing "successor_of" reads "successor of".

    The topics it uses are here too; those that use it are in ``used_by``.
    """
    return [
        row
        for row in _other_public_side(dbsession, topic, TOPIC_LINK_KINDS)
        if row[0].kind != "uses" or row[2]
    ]


def backlinks(dbsession, item):
    """Public items whose body links to ``item``."""
    stmt = (
        select(Item)
        .join(Reference, Reference.source_id == Item.id)
        .where(Reference.target_id == item.id, Item.id != item.id, *_public())
        .order_by(Item.type.desc(), Item.slug)
        .options(selectinload(Item.texts))
    )
    return list(dbsession.scalars(stmt))


def resolve_targets(dbsession, targets, public_only=True):
    """Map each (type, slug) to its item, following old slugs; missing ones are left out."""
    if not targets:
        return {}
    conditions = [(Item.type == t) & (Item.slug == s) for t, s in targets]
    stmt = select(Item).where(or_(*conditions))
    if public_only:
        stmt = stmt.where(*_public())
    found = {(item.type, item.slug): item for item in dbsession.scalars(stmt)}
    missing = [t for t in targets if t not in found]
    if missing:
        conditions = [(SlugHistory.type == t) & (SlugHistory.slug == s) for t, s in missing]
        stmt = select(SlugHistory.type, SlugHistory.slug, Item).join(Item).where(or_(*conditions))
        if public_only:
            stmt = stmt.where(*_public())
        for item_type, slug, item in dbsession.execute(stmt):
            found[(item_type, slug)] = item
    return found


def render_body(request, body, lang=None):
    """Body Markdown as safe HTML, internal links pointing at today's pages in ``lang``."""
    return render_document(request, body, lang)[0]


def render_document(request, body, lang=None):
    """(safe HTML, table of contents) of a body; see markdown.render_document."""
    targets = markdown.internal_targets(body)
    items = resolve_targets(request.dbsession, targets)
    for target in targets:
        # The link follows the target's address and visibility.
        item = items.get(target)
        request.show(f"i{item.id}" if item is not None else "u:{}:{}".format(*target))
    resolved = tuple(
        (
            target,
            request.lroute_path(items[target].type, lang=lang, slug=items[target].slug)
            if target in items
            else None,
        )
        for target in targets
    )
    return markdown.render_document(body, resolved)


def update_references(dbsession, item):
    """Rebuild the references of ``item``'s bodies (both languages), for backlinks."""
    targets = []
    for text in item.texts.values():
        targets.extend(markdown.internal_targets(text.body))
    found = resolve_targets(dbsession, list(dict.fromkeys(targets)), public_only=False)
    target_ids = {other.id for other in found.values() if other.id != item.id}
    old_ids = set(
        dbsession.scalars(select(Reference.target_id).where(Reference.source_id == item.id))
    )
    if old_ids == target_ids:
        return
    # Their backlinks change; a bulk delete passes no objects through the flush.
    pages.note_pages(dbsession, old_ids ^ target_ids)
    dbsession.execute(delete(Reference).where(Reference.source_id == item.id))
    for target_id in sorted(target_ids):
        dbsession.add(Reference(source_id=item.id, target_id=target_id))


def text_for(item, lang):
    """(text, fallback): the text in ``lang``, or the Indonesian one when it is missing."""
    text = item.text(lang)
    if text is not None:
        return text, False
    return item.text(SOURCE_LANGUAGE), lang != SOURCE_LANGUAGE


def is_stale(item, lang):
    """True when the translation was made from an older version of the source text."""
    if lang == SOURCE_LANGUAGE:
        return False
    text, source = item.text(lang), item.text(SOURCE_LANGUAGE)
    if text is None or source is None or text.source_version is None:
        return False
    return text.source_version < source.version
