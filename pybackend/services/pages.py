"""Pages rendered on write, and invalidation by what each page shows.

Every cacheable page records the surrogate keys of what it shows (``request.show``):

- ``i<id>``: the page shows item <id>'s title, summary or address (its own pages, the pages
  that list it as related, used by or linking here, the lists and the home page);
- ``p<id>``: the page is item <id>'s own page (it changes when the item's links or
  backlinks change, even if no title does);
- ``l:topic`` / ``l:example``: which items a list holds, and in what order;
- ``f<id>``: the page shows item <id>'s structured facts (the comparisons);
- ``any``: pages that change with every content change (feeds, search results, the
  sitemap's list part); ``sm:<n>``: the sitemap part that lists items n*1000 .. n*1000+999.

A transaction that changes content works out which keys it touched (listeners on the
app's session factory), re-renders the stored pages of the items concerned, and records
the keys in ``cache_tags`` with a new content generation. Each process polls that table
(services/cache.py) and drops exactly the cached pages that carry a touched key.
"""

import datetime as dt
import hashlib
import logging
import os
import queue
import threading
import time
import zlib

from pyramid.httpexceptions import HTTPException
from pyramid.interfaces import IRequestFactory
from pyramid.settings import asbool
from sqlalchemy import delete, event, inspect, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from zope.sqlalchemy import mark_changed

from ..models import (
    CacheTag,
    ContentState,
    Fact,
    Item,
    ItemText,
    Link,
    Reference,
    RenderedPage,
    Source,
)
from ..models.item import LANGUAGES, SlugHistory
from . import clock

log = logging.getLogger(__name__)

SITEMAP_PART_ITEMS = 1000
# Stored pages re-rendered inside an edit's transaction; past this the rest are dropped
# from the store (readers get them rendered live, correct but slower) and re-rendered by
# ``pybackend-content render --missing``.
RENDER_BUDGET = 60
_STRUCTURAL = ("status", "deleted_at", "slug", "kind", "type")
# What other pages (lists, related, used by, backlinks, search results) show of an item;
# a change to anything else of it changes its own pages alone.
_SHOWN_ITEM = (*_STRUCTURAL, "website", "package")
_SHOWN_TEXT = ("title", "summary", "lang")
_INFO = "pybackend.pages"
_REGISTRY = "pybackend.registry"
_SECTIONS = {"topic": "topics", "example": "examples"}


def item_path(item_type, slug, lang):
    """The reader path of an item page, as the stored page's key."""
    return ("/en" if lang == "en" else "") + f"/{_SECTIONS[item_type]}/{slug}"


def sitemap_part(item_id):
    return item_id // SITEMAP_PART_ITEMS + 1


def body_etag(body):
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def template_build():
    """An id for the templates and catalogs pages are rendered with, and their newest mtime."""
    here = os.path.dirname(os.path.dirname(__file__))
    digest = hashlib.blake2b(digest_size=10)
    newest = 0.0
    for folder in ("templates", "locale"):
        for root, dirs, files in os.walk(os.path.join(here, folder)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".jinja2", ".mo")):
                    path = os.path.join(root, name)
                    with open(path, "rb") as f:
                        digest.update(name.encode() + b"\0" + f.read())
                    newest = max(newest, os.stat(path).st_mtime)
    return digest.hexdigest(), dt.datetime.fromtimestamp(int(newest), dt.UTC)


# ---------------------------------------------------------------------------
# What a transaction touched
# ---------------------------------------------------------------------------


class Changes:
    def __init__(self):
        self.shown = set()  # items whose title, summary, address or visibility changed
        self.own = set()  # items whose own pages changed (links, backlinks)
        self.bodies = set()  # items whose own pages alone changed (a body, a notice)
        self.structural = set()  # item types whose lists changed
        self.moved = set()  # items whose address or visibility changed
        self.addresses = set()  # "u:<type>:<slug>" of addresses that appeared or went
        self.extra = set()  # keys named by the code that made the change (touch())

    def __bool__(self):
        return bool(self.shown or self.own or self.bodies or self.structural or self.extra)


def changes(session):
    found = session.info.get(_INFO)
    if found is None:
        found = session.info[_INFO] = Changes()
    return found


def changed_here(session):
    """Whether this transaction has changed content that readers see (not yet committed)."""
    found = session.info.get(_INFO)
    return found is not None and bool(found)


def touch(session, *tags):
    """Mark surrogate keys as changed by this transaction (e.g. "any" for search aliases)."""
    changes(session).extra.update(tags)


def note_pages(session, item_ids):
    """The own pages of these items change (links or references about to be replaced)."""
    changes(session).own.update(i for i in item_ids if i is not None)


def _attribute_changed(obj, names):
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session, flush_context):
    if session.info.get("pages.rendering"):
        return
    found = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Item):
            found = found or changes(session)
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if obj in session.dirty and not _attribute_changed(obj, _SHOWN_ITEM):
                # Its version and times (every save), or the state of its translation:
                # only its own pages show those.
                found.bodies.add(obj.id)
                continue
            found.shown.add(obj.id)
            if obj in session.new or obj in session.deleted or _attribute_changed(obj, _STRUCTURAL):
                found.structural.add(obj.type)
                found.moved.add(obj.id)
                found.addresses.add(f"u:{obj.type}:{obj.slug}")
        elif isinstance(obj, ItemText):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            found = found or changes(session)
            if obj in session.dirty and not _attribute_changed(obj, _SHOWN_TEXT):
                # The body: other pages show the title and the summary only.
                found.bodies.add(obj.item_id)
            else:
                found.shown.add(obj.item_id)
        elif isinstance(obj, (Link, Reference)):
            found = found or changes(session)
            found.own.update((obj.source_id, obj.target_id))
        elif isinstance(obj, (SlugHistory, Source)):
            found = found or changes(session)
            found.own.add(obj.item_id)
        elif isinstance(obj, Fact):
            # Its own page, and the comparisons that show it (``f<id>``).
            found = found or changes(session)
            found.own.add(obj.item_id)
            found.extra.add(f"f{obj.item_id}")


def dependents(session, item_ids, moved=()):
    """Items whose own pages show one of ``item_ids``."""
    if not item_ids:
        return set()
    ids = list(item_ids)
    parts = [
        select(Link.target_id).where(Link.source_id.in_(ids)),
        select(Link.source_id).where(Link.target_id.in_(ids)),
        # Their backlinks list shows the item.
        select(Reference.target_id).where(Reference.source_id.in_(ids)),
    ]
    if moved:
        # Their bodies link to it: the address (or whether it is a link at all) changed.
        parts.append(select(Reference.source_id).where(Reference.target_id.in_(list(moved))))
    return set(session.scalars(union(*parts)))


def tags_for(found):
    tags = {f"i{i}" for i in found.shown} | found.extra
    tags |= {f"l:{t}" for t in found.structural} | found.addresses
    if found.shown or found.structural:
        tags |= {"any", "sm"} if found.structural else {"any"}
    if found.shown or found.bodies:
        # Feeds and search results show bodies too; the sitemap part dates the page.
        tags |= {"any"} | {f"sm:{sitemap_part(i)}" for i in found.shown | found.bodies}
    return tags


def _before_commit(session):
    found = session.info.get(_INFO)
    if not found:
        return
    session.info["pages.rendering"] = True
    try:
        session.flush()
        if found.addresses:
            from .content import relink  # content reads through this module

            # Bodies that link to an address that has just got an item: their pages
            # show a link now instead of bare words, and the item's backlinks list them.
            found.own |= relink(session, [a.split(":")[1:] for a in found.addresses])
            session.flush()
        pages = found.own | found.shown | found.bodies
        pages |= dependents(session, found.shown, found.moved)
        pages.discard(None)
        tags = tags_for(found) | {f"p{i}" for i in pages}
        registry = session.info.get(_REGISTRY)
        background = registry.get("pybackend.background_renderer") if registry else None
        if background is None:
            store_pages(session, sorted(pages))
        elif pages:
            # Readers get these rendered live until the renderer thread stores them again.
            session.execute(
                update(RenderedPage).where(RenderedPage.item_id.in_(sorted(pages))).values(build="")
            )
        generation = bump(session)
        record_tags(session, tags, generation)
        session.info["pages.committed_tags"] = tags
        if background is not None and pages:
            session.info["pages.render_after_commit"] = (background, sorted(pages), generation)
    finally:
        session.info.pop("pages.rendering", None)
        session.info.pop(_INFO, None)


def bump(session):
    """A new content generation; the row lock orders every content transaction."""
    return session.execute(
        update(ContentState)
        .where(ContentState.id == 1)
        .values(generation=ContentState.generation + 1, changed_at=clock.now())
        .returning(ContentState.generation)
    ).scalar_one()


def _insert(session):
    """The dialect's INSERT, which knows ON CONFLICT."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def record_tags(session, tags, generation):
    if not tags:
        return
    now = clock.now()
    rows = [{"tag": tag, "generation": generation, "changed_at": now} for tag in sorted(tags)]
    stmt = _insert(session)(CacheTag)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tag"],
            set_={"generation": stmt.excluded.generation, "changed_at": stmt.excluded.changed_at},
        ),
        rows,
    )


_committed_hooks = "pages.after_commit_hooks"


def _after_commit(session):
    job = session.info.pop("pages.render_after_commit", None)
    if job is not None:
        background, item_ids, generation = job
        background.submit(item_ids, generation)
    tags = session.info.pop("pages.committed_tags", None)
    if tags:
        for hook in session.info.get(_committed_hooks, ()):
            hook(tags)


def _after_rollback(session):
    session.info.pop(_INFO, None)
    session.info.pop("pages.render_after_commit", None)
    session.info.pop("pages.committed_tags", None)


def purge_everything(session):
    """For bulk changes (generation, seed, purge): every cached page goes."""
    record_tags(session, {"*"}, bump(session))
    mark_changed(session)


# ---------------------------------------------------------------------------
# Rendering and storing
# ---------------------------------------------------------------------------


class Renderer:
    """Renders reader pages as an anonymous reader gets them, inside a given session."""

    def __init__(self, registry):
        self.registry = registry
        settings = registry.settings
        self.base_url = (settings.get("pybackend.base_url") or "http://localhost").rstrip("/")
        self.build = registry.get("pybackend.build") or template_build()[0]

    def render(self, session, path):
        """(status, content_type, body, tags) of ``path`` for an anonymous reader."""
        from ..request import Request

        # The app's own router (a new Router would build the tweens, and their state, again).
        router = self.registry["pybackend.router"]
        factory = self.registry.queryUtility(IRequestFactory) or Request
        sub = factory.blank(path, base_url=self.base_url)
        sub.environ["app.dbsession"] = session
        sub.registry = self.registry
        try:
            response = router.invoke_subrequest(sub, use_tweens=False)
        except HTTPException as exc:
            return exc.status_int, None, None, None
        return response.status_int, response.content_type, response.body, sub.page_tags


def store_pages(session, item_ids, budget=RENDER_BUDGET):
    """Re-render the stored pages of ``item_ids``; over budget, drop them from the store."""
    if not item_ids:
        return 0
    registry = session.info.get(_REGISTRY)
    renderer = registry.get("pybackend.renderer") if registry is not None else None
    if renderer is None:
        # Not the app's session (a bare script): the pages cannot be made here, so they go.
        budget = 0
    render_now, drop = item_ids[: budget // 2], item_ids[budget // 2 :]
    if drop:
        session.execute(delete(RenderedPage).where(RenderedPage.item_id.in_(drop)))
    return render_items(session, renderer, render_now)


def render_items(session, renderer, item_ids, not_after=None):
    """Render and store both languages' pages of these items; return how many were stored.

    With ``not_after`` (a generation), items that a later transaction touched are left to
    the render that transaction asked for: this one may have read them before it.
    """
    rows = session.execute(
        select(Item.id, Item.type, Item.slug, Item.status, Item.deleted_at).where(
            Item.id.in_(item_ids)
        )
    ).all()
    old = {
        page.key: page
        for page in session.scalars(select(RenderedPage).where(RenderedPage.item_id.in_(item_ids)))
    }
    keep = {}
    for item_id, item_type, slug, status, deleted_at in rows:
        if status != "published" or deleted_at is not None:
            continue
        for lang in LANGUAGES:
            key = item_path(item_type, slug, lang)
            status_code, content_type, body, tags = renderer.render(session, key)
            if status_code != 200:
                continue
            keep[key] = (item_id, content_type, body, tags)
    if not_after is not None:
        # Take the content lock (editors hold it to commit), then look for newer edits.
        session.execute(
            update(ContentState)
            .where(ContentState.id == 1)
            .values(generation=ContentState.generation)
        )
        newer = {
            int(tag[1:])
            for tag in session.scalars(
                select(CacheTag.tag).where(
                    CacheTag.tag.in_([f"p{i}" for i in item_ids]),
                    CacheTag.generation > not_after,
                )
            )
        }
        keep = {key: value for key, value in keep.items() if value[0] not in newer}
        old = {key: page for key, page in old.items() if page.item_id not in newer}
    now = clock.now()
    new_rows = []
    for key, (item_id, content_type, body, tags) in keep.items():
        etag = body_etag(body)
        previous = old.pop(key, None)
        if previous is not None and previous.etag == etag and previous.build == renderer.build:
            if previous.tags != " ".join(tags):
                previous.tags = " ".join(tags)
            continue
        changed_at = previous.changed_at if previous is not None and previous.etag == etag else now
        if previous is not None:
            session.delete(previous)
        new_rows.append(
            {
                "key": key,
                "item_id": item_id,
                "body": zlib.compress(body, 6),
                "content_type": content_type,
                "etag": etag,
                "changed_at": changed_at,
                "tags": " ".join(tags),
                "build": renderer.build,
            }
        )
    for stale in old.values():
        session.delete(stale)
    session.flush()
    if new_rows:
        # Another renderer (a thread, a process, the command) may have stored the same page
        # meanwhile: the later render wins, neither fails.
        stmt = _insert(session)(RenderedPage)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["key"],
                set_={
                    name: stmt.excluded[name]
                    for name in (
                        "item_id",
                        "body",
                        "content_type",
                        "etag",
                        "changed_at",
                        "tags",
                        "build",
                    )
                },
            ),
            new_rows,
        )
        # A Core insert is invisible to zope.sqlalchemy, which would roll it back.
        mark_changed(session)
    return len(new_rows)


def missing_items(session, after_id=0, limit=500, build=None, jobs=1, job=0):
    """Public items after ``after_id`` without a stored page of ``build`` (None: all of them)."""
    stmt = select(Item.id).where(
        Item.id > after_id, Item.status == "published", Item.deleted_at.is_(None)
    )
    if build is not None:
        current = select(RenderedPage.item_id).where(
            RenderedPage.item_id == Item.id, RenderedPage.build == build
        )
        stmt = stmt.where(~current.exists())
    if jobs > 1:
        stmt = stmt.where(Item.id % jobs == job)
    return list(session.scalars(stmt.order_by(Item.id).limit(limit)))


class BackgroundRenderer:
    """Stores pages again after an edit, in a thread of the process that made the edit.

    The edit's own transaction only marks its pages stale (cheap, bounded); this renders
    them in batches, each in its own transaction, so a save never waits for the pages of
    everything that links to the item.
    """

    BATCH = 10

    def __init__(self, registry):
        self.registry = registry
        self.jobs = queue.Queue()
        self.thread = None
        self.lock = threading.Lock()

    def submit(self, item_ids, generation):
        self.jobs.put((item_ids, generation))
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="pybackend-render", daemon=True
                )
                self.thread.start()

    def _run(self):
        import transaction

        from ..models import get_tm_session

        factory = self.registry["dbsession_factory"]
        renderer = self.registry["pybackend.renderer"]
        while True:
            try:
                item_ids, generation = self.jobs.get(timeout=5)
            except queue.Empty:
                return
            for start in range(0, len(item_ids), self.BATCH):
                batch = item_ids[start : start + self.BATCH]
                try:
                    with transaction.manager:
                        session = get_tm_session(factory)
                        render_items(session, renderer, batch, not_after=generation)
                except Exception:
                    # The pages stay stale (served live, correct); `render` fixes them.
                    log.exception("re-rendering pages of items %s failed", batch)
            self.jobs.task_done()

    def wait(self, timeout=10):
        """Until every submitted page is stored (tests, scripts)."""
        deadline = time.monotonic() + timeout
        while self.jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.jobs.unfinished_tasks


def on_commit(session_factory, hook):
    """Call ``hook(tags)`` after every commit (of a session from this factory) that touched tags."""
    hooks = session_factory.kw.setdefault("info", {}).setdefault(_committed_hooks, [])
    hooks.append(hook)


def includeme(config):
    registry = config.registry
    factory = registry["dbsession_factory"]
    build, built_at = template_build()
    # Pages hold absolute links: another base URL is another build.
    base_url = (registry.settings.get("pybackend.base_url") or "").rstrip("/")
    build = hashlib.blake2b(f"{build} {base_url}".encode(), digest_size=10).hexdigest()
    registry["pybackend.build"] = build
    registry["pybackend.built_at"] = built_at
    factory.kw.setdefault("info", {})[_REGISTRY] = registry
    for name, listener in (  # on this app's sessions only, never on SQLAlchemy's Session
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        event.listen(factory, name, listener)

    def make_renderer():
        registry["pybackend.renderer"] = Renderer(registry)
        if asbool(registry.settings.get("pybackend.render_in_background", True)):
            registry["pybackend.background_renderer"] = BackgroundRenderer(registry)

    config.action(None, make_renderer, order=10**6)
