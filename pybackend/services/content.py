"""Reading published content: the queries behind every reader page."""

import weakref

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..models import CacheTag, Item, ItemText, Link, Reference, SlugHistory, UnresolvedLink
from ..models.item import SOURCE_LANGUAGE, TOPIC_KINDS
from . import markdown, pages

RELATION_KINDS = ("alternative_to", "successor_of", "related_to", "built_on")
# A topic may also use another (Celery uses RabbitMQ): shown as "uses" on its page and
# as "used by" on the other's.
TOPIC_LINK_KINDS = (*RELATION_KINDS, "uses")


def _public():
    return (Item.status == "published", Item.deleted_at.is_(None))


# Joined: one query for the item and its (at most two) texts. A slug is unique per type,
# so every row is the same item. Built once, like _LINKS.
_PUBLIC_ITEM = (
    select(Item)
    .where(Item.type == bindparam("type"), Item.slug == bindparam("slug"), *_public())
    .options(joinedload(Item.texts), selectinload(Item.sources), selectinload(Item.facts))
)


def public_item(dbsession, item_type, slug):
    found = dbsession.scalars(_PUBLIC_ITEM, {"type": item_type, "slug": slug}).unique().all()
    return found[0] if found else None


def renamed_item_slug(dbsession, item_type, old_slug):
    """The current slug of the public item that was once called ``old_slug``."""
    stmt = (
        select(Item.slug)
        .join(SlugHistory, SlugHistory.item_id == Item.id)
        .where(SlugHistory.type == item_type, SlugHistory.slug == old_slug, *_public())
    )
    return dbsession.scalars(stmt).first()


def count_public(dbsession, item_type, kind=None):
    if item_type == "topic":
        # The lists show the known kinds only (see list_public).
        counts = _kind_counts(dbsession)
        return sum(counts.values()) if kind is None else counts.get(kind, 0)
    return _counted(
        dbsession,
        item_type,
        lambda: dbsession.scalar(
            select(func.count()).select_from(Item).where(Item.type == item_type, *_public())
        ),
    )


def _kind_counts(dbsession):
    """Public topics of each kind, from the index of public topics."""
    stmt = (
        select(Item.kind, func.count())
        .where(Item.type == "topic", Item.kind.in_(TOPIC_KINDS), *_public())
        .group_by(Item.kind)
    )
    return _counted(dbsession, "topic", lambda: dict(dbsession.execute(stmt).all()))


# Counts of public items by engine and type, with the generation of the list's surrogate
# key ("l:<type>", or "*" for everything) they were counted at. Counting 100 000 topics
# took 27 ms, twice for every page of the list; the key's generation is one read of the
# cache_tags primary key, and changes in the transaction of every change the list shows.
_COUNTS = weakref.WeakKeyDictionary()
_LIST_GENERATION = select(func.max(CacheTag.generation)).where(
    CacheTag.tag.in_(bindparam("tags", expanding=True))
)


def _counted(dbsession, item_type, count):
    """``count()``, or what it gave when the list of ``item_type`` last looked the same."""
    if pages.changed_here(dbsession):
        return count()  # this transaction changed content: its own view, not the memo's
    generation = dbsession.scalar(_LIST_GENERATION, {"tags": [f"l:{item_type}", "*"]})
    if generation is None:
        return count()
    held = _COUNTS.setdefault(dbsession.get_bind(), {})
    known = held.get(item_type)
    if known is not None and known[0] == generation:
        return known[1]
    value = count()
    held[item_type] = (generation, value)
    return value


def _page_ids(dbsession, item_type, kind, offset, limit):
    """Ids of one page of public items by slug: walked in an index, rows not read."""
    stmt = select(Item.id).where(Item.type == item_type, *_public())
    if kind is not None:
        stmt = stmt.where(Item.kind == kind)
    return list(dbsession.scalars(stmt.order_by(Item.slug).offset(offset).limit(limit)))


def list_public(dbsession, item_type, offset=0, limit=50, kind=None):
    """Public items of a type, topics grouped by kind (in TOPIC_KINDS order), then by slug.

    Any page costs the same: its ids come from an index of public items (a deep OFFSET
    steps through index entries, never through rows), and the page of all topics is cut
    from the kinds' counts instead of sorting every topic by kind.
    """
    if item_type == "topic" and kind is None:
        ids = []
        counts = _kind_counts(dbsession)
        for each in TOPIC_KINDS:
            count = counts.get(each, 0)
            if offset >= count:
                offset -= count
                continue
            ids += _page_ids(dbsession, "topic", each, offset, limit - len(ids))
            offset = 0
            if len(ids) >= limit:
                break
    else:
        ids = _page_ids(dbsession, item_type, kind, offset, limit)
    if not ids:
        return []
    found = {
        item.id: item
        for item in dbsession.scalars(
            select(Item).where(Item.id.in_(ids)).options(selectinload(Item.texts))
        )
    }
    return [found[i] for i in ids if i in found]


def topics_by_kind(dbsession, per_kind):
    """For the home page: up to ``per_kind`` topics of each kind, with each kind's total."""
    groups = []
    counts = _kind_counts(dbsession)
    for kind in TOPIC_KINDS:
        total = counts.get(kind, 0)
        if total:
            groups.append((kind, list_public(dbsession, "topic", limit=per_kind, kind=kind), total))
    return groups


def _links_statement():
    # Built once, with parameters: building the statement (and the aliases, which copy
    # every column of the table) cost more than running it.
    source = aliased(Item, name="link_source")
    target = aliased(Item, name="link_target")
    item_id = bindparam("item_id")
    return (
        select(Link, source, target)
        .join(source, Link.source_id == source.id)
        .join(target, Link.target_id == target.id)
        .where(
            Link.kind.in_(bindparam("kinds", expanding=True)),
            or_(Link.source_id == item_id, Link.target_id == item_id),
            source.status == "published",
            source.deleted_at.is_(None),
            target.status == "published",
            target.deleted_at.is_(None),
        )
        .order_by(Link.position, Link.id)
    )


_LINKS = _links_statement()


def _other_public_side(dbsession, item, kinds):
    """Links of ``kinds`` touching ``item`` with a public other end: (link, other, outgoing)."""
    rows = []
    for link, src, tgt in dbsession.execute(_LINKS, {"item_id": item.id, "kinds": list(kinds)}):
        outgoing = src.id == item.id
        rows.append((link, tgt if outgoing else src, outgoing))
    load_texts(dbsession, [other for _, other, _ in rows])
    return rows


def load_texts(dbsession, items):
    """Load the texts of every item in ``items`` that lacks them, in one query.

    (Two selectinloads, one per side of a link, would be two queries, and one of them
    would load the item itself again.)
    """
    pending = {item.id: item for item in items if "texts" not in item.__dict__}
    if not pending:
        return
    texts = {item_id: [] for item_id in pending}
    for text in dbsession.scalars(select(ItemText).where(ItemText.item_id.in_(pending))):
        texts[text.item_id].append(text)
    for item_id, item in pending.items():
        set_committed_value(item, "texts", texts[item_id])


def topic_links(dbsession, topic):
    """(used_by, related) of a topic, in one query: see used_by() and related()."""
    used, rel = [], []
    for link, other, outgoing in _other_public_side(dbsession, topic, ("uses", *RELATION_KINDS)):
        if link.kind != "uses":
            rel.append((link, other, outgoing))
        elif not outgoing:
            used.append((link, other))
    return used, rel


def used_by(dbsession, topic):
    """Examples that use ``topic``, with the link (and its note)."""
    return topic_links(dbsession, topic)[0]


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


_BACKLINKS = (
    select(Item)
    .join(Reference, Reference.source_id == Item.id)
    .where(Reference.target_id == bindparam("item_id"), Item.id != bindparam("item_id"), *_public())
    .order_by(Item.type.desc(), Item.slug)
    .options(selectinload(Item.texts))
)


def backlinks(dbsession, item):
    """Public items whose body links to ``item``."""
    return list(dbsession.scalars(_BACKLINKS, {"item_id": item.id}))


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
    return markdown.render_document(body, resolved + _resolved_images(request, body))


def _resolved_images(request, body):
    """(("image", name), (url, width, height)) of the live images the body shows."""
    from . import images

    names = markdown.image_names(body)
    if not names:
        return ()
    found = images.live_by_name(request.dbsession, names)
    for name in names:
        request.show(f"img:{name}")
    return tuple(
        (("image", name), (request.route_path("image", name=name), image.width, image.height))
        for name, image in sorted(found.items())
    )


def update_references(dbsession, item):
    """Rebuild the references of ``item``'s bodies (both languages), for backlinks.

    Links to addresses with no item go to unresolved_links, so that the page follows
    when an item comes to live there (see relink()).
    """
    targets = []
    for text in item.texts.values():
        targets.extend(markdown.internal_targets(text.body))
    targets = list(dict.fromkeys(targets))
    found = resolve_targets(dbsession, targets, public_only=False)
    _keep_unresolved(dbsession, item, {t for t in targets if t not in found})
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


def _keep_unresolved(dbsession, item, missing):
    old = set(
        dbsession.execute(
            select(UnresolvedLink.type, UnresolvedLink.slug).where(
                UnresolvedLink.source_id == item.id
            )
        ).all()
    )
    if old == missing:
        return
    dbsession.execute(delete(UnresolvedLink).where(UnresolvedLink.source_id == item.id))
    for item_type, slug in sorted(missing):
        dbsession.add(UnresolvedLink(source_id=item.id, type=item_type, slug=slug))


def relink(dbsession, addresses):
    """Items whose bodies link to one of ``addresses`` ((type, slug) pairs) that had no
    item: their references are rebuilt now that one may live there; returns their ids."""
    if not addresses:
        return set()
    conditions = [(UnresolvedLink.type == t) & (UnresolvedLink.slug == s) for t, s in addresses]
    ids = set(dbsession.scalars(select(UnresolvedLink.source_id).where(or_(*conditions))))
    if ids:
        stmt = select(Item).where(Item.id.in_(ids)).options(selectinload(Item.texts))
        for source in dbsession.scalars(stmt):
            update_references(dbsession, source)
    return ids


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
