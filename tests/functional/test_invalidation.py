"""An edit invalidates exactly the pages that show the edited item, in every process.

Two app instances share the test database, as two waitress processes share one in
production. Each test makes its own items (unique slugs) through the editing service in
committed transactions, and purges them afterwards.
"""

import datetime as dt
import email.utils
import itertools
import time
import zlib

import pytest
import transaction
import webtest
from sqlalchemy import func, select, text

from pybackend import main, models
from pybackend.models import Item, RenderedPage
from pybackend.services import editing

_serial = itertools.count(1)


def make_app(app_settings, dbengine):
    settings = {
        **app_settings,
        "pybackend.page_cache": "true",
        # Tests wait for the other process; a short ttl keeps them quick.
        "pybackend.generation_ttl": "0.2",
    }
    return webtest.TestApp(
        main({}, dbengine=dbengine, **settings), extra_environ={"HTTP_HOST": "example.com"}
    )


@pytest.fixture(scope="module")
def apps(app_settings, dbengine):
    with dbengine.connect() as connection:
        last_audit = connection.scalar(text("SELECT max(id) FROM audit_log")) or 0
    yield make_app(app_settings, dbengine), make_app(app_settings, dbengine)
    # The items are purged with their history; their audit entries go too.
    with dbengine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id > :n"), {"n": last_audit})


class Site:
    """Committed changes through the first app's sessions (its listeners, its renderer)."""

    def __init__(self, app):
        self.factory = app.app.registry["dbsession_factory"]
        self.made = []

    def run(self, change):
        with transaction.manager:
            return change(models.get_tm_session(self.factory))

    @staticmethod
    def new_slug():
        return f"inv-{next(_serial)}-{time.monotonic_ns() % 10**9}"

    def topic(self, title, links=(), body="", publish=True, slug=None):
        slug = slug or self.new_slug()

        def create(session):
            draft = editing.Draft(
                fields={"slug": slug, "kind": "library"},
                texts={
                    "id": {"title": title, "summary": f"{title} ringkas", "body": body},
                    "en": {"title": title + " EN", "summary": "short", "body": body},
                },
                links=[{"target_id": t, "kind": "related_to"} for t in links],
            )
            return editing.create_item(session, "topic", draft, None, publish=publish).id

        item_id = self.run(create)
        self.made.append(item_id)
        return item_id, slug

    def item(self, session, item_id):
        return session.get(Item, item_id)

    def update(self, item_id, **changes):
        def apply(session):
            item = self.item(session, item_id)
            snapshot = editing.snapshot(item)
            texts = {
                lang: {**values, **changes.get("texts", {}).get(lang, {})}
                for lang, values in snapshot["texts"].items()
            }
            fields = {name: snapshot[name] for name in editing.ITEM_FIELDS}
            fields.update(changes.get("fields", {}))
            links = changes.get("links", snapshot["links"])
            draft = editing.Draft(fields=fields, texts=texts, links=list(links))
            editing.update_item(
                session, item, item.version, draft, None, publish=changes.get("publish")
            )

        self.run(apply)

    def trash(self, item_id):
        self.run(
            lambda s: editing.delete_item(
                s, self.item(s, item_id), self.item(s, item_id).version, None
            )
        )

    def restore(self, item_id):
        self.run(lambda s: editing.restore_item(s, self.item(s, item_id), None))

    def cleanup(self):
        for item_id in reversed(self.made):
            self.run(lambda s, i=item_id: s.get(Item, i) and editing.purge_item(s, s.get(Item, i)))


def caught_up(app):
    """The app has applied every purge committed so far (an earlier test's cleanup).

    SQLite reuses the ids of purged items, so a purge of the last test's items that a
    process only sees later would drop this test's pages too, and look like a leak."""
    clock = app.app.registry["tag_clock"]
    clock.invalidate()
    clock.sync()


@pytest.fixture
def site(apps):
    for app in apps:
        caught_up(app)
    site = Site(apps[0])
    yield site
    site.cleanup()


def settle(app, path, predicate, seconds=3):
    """The page at ``path`` once ``predicate(response)`` holds (the other process polls)."""
    deadline = time.monotonic() + seconds
    while True:
        res = app.get(path, expect_errors=True)
        if predicate(res):
            return res
        assert time.monotonic() < deadline, f"{path} did not change in time: {res.status}"
        time.sleep(0.05)


def cached_entry(app, path):
    return app.app.registry["page_cache"].get(path)


def test_an_edit_changes_its_pages_and_the_pages_that_show_it_and_nothing_else(apps, site):
    first, second = apps
    a, a_slug = site.topic("Alfa")
    b, b_slug = site.topic("Beta", links=[a])
    c, c_slug = site.topic("Gamma")
    pages = {
        name: [f"/topics/{slug}", f"/en/topics/{slug}"]
        for name, slug in (("a", a_slug), ("b", b_slug), ("c", c_slug))
    }
    before = {}
    for app in apps:
        for paths in pages.values():
            for path in paths:
                res = app.get(path)
                before[(id(app), path)] = res.etag
    # Every page is now in memory in both processes.
    c_entries = [cached_entry(app, path) for app in apps for path in pages["c"]]
    assert all(c_entries)

    site.update(a, texts={"id": {"title": "Alfa Baru"}, "en": {"title": "Alpha New"}})

    for app in apps:
        res = settle(app, pages["a"][0], lambda r: "Alfa Baru" in r.text)
        assert res.etag != before[(id(app), pages["a"][0])]
        assert "Alpha New" in app.get(pages["a"][1]).text
        # B shows A's title among its related topics.
        b_page = settle(app, pages["b"][0], lambda r: "Alfa Baru" in r.text)
        assert b_page.etag != before[(id(app), pages["b"][0])]
        assert "Alpha New" in app.get(pages["b"][1]).text
    # C shows nothing of A: same ETag, and the very same cached entry in both processes.
    for app in apps:
        for path in pages["c"]:
            assert app.get(path).etag == before[(id(app), path)]
    assert [cached_entry(app, path) for app in apps for path in pages["c"]] == c_entries


def test_a_body_edit_changes_only_the_item_s_own_pages(apps, site):
    """Other pages show an item's title and summary, never its body."""
    first, second = apps
    a, a_slug = site.topic("Mu", body="Isi lama.")
    b, b_slug = site.topic("Nu", links=[a])
    caught_up(second)  # it has seen A and B created: what it caches now may stay
    b_paths = [f"/topics/{b_slug}", f"/en/topics/{b_slug}"]
    before = {path: second.get(path).etag for path in b_paths}
    entries = [cached_entry(second, path) for path in b_paths]
    assert all(entries)
    old_a = second.get(f"/topics/{a_slug}").etag

    site.update(a, texts={"id": {"body": "Isi baru yang lain."}})

    a_page = settle(second, f"/topics/{a_slug}", lambda r: "Isi baru yang lain." in r.text)
    assert a_page.etag != old_a
    assert [second.get(path).etag for path in b_paths] == list(before.values())
    assert [cached_entry(second, path) for path in b_paths] == entries
    # The English page now says that its translation is older than the source.
    settle(second, f"/en/topics/{a_slug}", lambda r: "made from an older version" in r.text)


def test_a_rename_moves_the_page_and_the_links_to_it(apps, site):
    first, second = apps
    a, a_slug = site.topic("Delta")
    b, b_slug = site.topic("Epsilon", links=[a], body=f"Lihat [Delta](topic:{a_slug}).")
    c, c_slug = site.topic("Zeta")
    c_etag = second.get(f"/topics/{c_slug}").etag
    assert f'href="/topics/{a_slug}"' in second.get(f"/topics/{b_slug}").text
    second.get(f"/topics/{a_slug}")

    site.update(a, fields={"slug": a_slug + "-baru"})

    settle(second, f"/topics/{a_slug}", lambda r: r.status_int == 301)
    assert second.get(f"/topics/{a_slug}-baru").status_int == 200
    b_page = settle(second, f"/topics/{b_slug}", lambda r: f"/topics/{a_slug}-baru" in r.text)
    # Both the relation and the body link follow the rename.
    assert f'href="/topics/{a_slug}"' not in b_page.text
    assert second.get(f"/topics/{c_slug}").etag == c_etag


@pytest.mark.parametrize("how", ["created", "renamed"])
def test_a_link_to_an_address_without_an_item_follows_when_one_appears(
    apps, site, how, app_settings, dbengine
):
    first, second = apps
    future = site.new_slug()
    b, b_slug = site.topic("Iota", body=f"Nanti ada [Kappa](topic:{future}).")
    c, c_slug = site.topic("Lambda")
    c_etag = second.get(f"/topics/{c_slug}").etag
    before = second.get(f"/topics/{b_slug}")
    assert f'href="/topics/{future}"' not in before.text and "missing-link" in before.text

    if how == "created":
        site.topic("Kappa", slug=future)
    else:
        a, _ = site.topic("Kappa lama")
        site.update(a, fields={"slug": future})

    # From the store as well as from memory: a fresh process sees the link too.
    for app in (second, make_app(app_settings, dbengine)):
        b_page = settle(app, f"/topics/{b_slug}", lambda r: f'href="/topics/{future}"' in r.text)
        assert b_page.etag != before.etag
        # The new item's backlinks list the page that linked to it before it existed.
        assert f'href="/topics/{b_slug}"' in app.get(f"/topics/{future}").text
    assert second.get(f"/topics/{c_slug}").etag == c_etag


def test_trash_and_restore(apps, site):
    first, second = apps
    a, a_slug = site.topic("Eta")
    b, b_slug = site.topic("Theta", links=[a])
    assert "Eta" in second.get(f"/topics/{b_slug}").text
    site.trash(a)
    settle(second, f"/topics/{a_slug}", lambda r: r.status_int == 404)
    b_page = settle(second, f"/topics/{b_slug}", lambda r: f"/topics/{a_slug}" not in r.text)
    assert "Eta" not in b_page.text.split("</h1>", 1)[1]
    site.restore(a)
    settle(second, f"/topics/{a_slug}", lambda r: r.status_int == 200)
    settle(second, f"/topics/{b_slug}", lambda r: f"/topics/{a_slug}" in r.text)


def test_relation_edits_change_both_ends_only(apps, site):
    first, second = apps
    a, a_slug = site.topic("Iota")
    b, b_slug = site.topic("Kappa")
    c, c_slug = site.topic("Lambda")
    for slug in (a_slug, b_slug, c_slug):
        second.get(f"/topics/{slug}")
    c_etag = second.get(f"/topics/{c_slug}").etag
    site.update(a, links=[{"target_id": b, "kind": "alternative_to"}])
    settle(second, f"/topics/{b_slug}", lambda r: f"/topics/{a_slug}" in r.text)
    settle(second, f"/topics/{a_slug}", lambda r: f"/topics/{b_slug}" in r.text)
    assert second.get(f"/topics/{c_slug}").etag == c_etag
    site.update(a, links=[])
    settle(second, f"/topics/{b_slug}", lambda r: f"/topics/{a_slug}" not in r.text)


def test_drafts_stay_invisible_until_published(apps, site):
    first, second = apps
    target, target_slug = site.topic("Mu")
    a, a_slug = site.topic("Nu Draf", links=[target], publish=False)
    assert second.get(f"/topics/{a_slug}", status=404)
    assert "Nu Draf" not in second.get(f"/topics/{target_slug}").text
    listing = second.get("/topics?kind=library").text
    site.update(a, publish=True)
    settle(second, f"/topics/{a_slug}", lambda r: r.status_int == 200)
    settle(second, f"/topics/{target_slug}", lambda r: "Nu Draf" in r.text)
    assert second.get("/topics?kind=library").text != listing
    site.update(a, publish=False)
    settle(second, f"/topics/{a_slug}", lambda r: r.status_int == 404)
    settle(second, f"/topics/{target_slug}", lambda r: "Nu Draf" not in r.text)


def test_the_background_renderer_stores_the_pages_again_soon_after(
    app_settings, dbengine, apps, site
):
    """As in production: the save only marks pages stale, a thread renders them."""
    settings = {**app_settings, "pybackend.render_in_background": "true"}
    app = webtest.TestApp(main({}, dbengine=dbengine, **settings))
    background = Site(app)
    try:
        a, a_slug = background.topic("Sigma")
        b, b_slug = background.topic("Tau", links=[a])
        assert app.app.registry["pybackend.background_renderer"].wait()
        background.update(a, texts={"id": {"title": "Sigma Baru"}})
        # Whether the thread got there yet or not, readers never get the old title.
        settle(apps[1], f"/topics/{b_slug}", lambda r: "Sigma Baru" in r.text)
        assert app.app.registry["pybackend.background_renderer"].wait()
        with dbengine.connect() as connection:
            rows = connection.execute(
                select(RenderedPage.key, RenderedPage.body, RenderedPage.build).where(
                    RenderedPage.item_id.in_([a, b])
                )
            ).all()
        build = app.app.registry["pybackend.build"]
        assert len(rows) == 4 and all(row.build == build for row in rows)
        assert all(
            b"Sigma Baru" in zlib.decompress(row.body) for row in rows if "/en/" not in row.key
        )
    finally:
        background.cleanup()


def test_an_edit_stores_the_rendered_pages_in_the_same_transaction(apps, site, dbengine):
    first, _ = apps
    a, a_slug = site.topic("Xi")
    with dbengine.connect() as connection:
        keys = set(connection.scalars(select(RenderedPage.key).where(RenderedPage.item_id == a)))
    assert keys == {f"/topics/{a_slug}", f"/en/topics/{a_slug}"}
    # What the store holds is what a reader gets.
    assert first.get(f"/topics/{a_slug}").headers["Surrogate-Key"].split().count(f"p{a}") == 1
    site.trash(a)
    with dbengine.connect() as connection:
        count = connection.scalar(
            select(func.count()).select_from(RenderedPage).where(RenderedPage.item_id == a)
        )
    assert count == 0


# ---------------------------------------------------------------------------
# Validators
# ---------------------------------------------------------------------------


def _http_date(value):
    return email.utils.parsedate_to_datetime(value)


@pytest.mark.parametrize("validators", ["etag", "date", "both"])
def test_no_client_keeps_a_stale_304_after_edits_in_the_same_second(apps, site, validators):
    first, second = apps
    a, slug = site.topic("Omikron")
    path = f"/topics/{slug}"
    for round_ in range(3):
        # Wait until the page may carry a Last-Modified (never one in the future).
        res = settle(second, path, lambda r: "Last-Modified" in r.headers, seconds=4)
        held = res.body
        headers = {}
        if validators in ("etag", "both"):
            headers["If-None-Match"] = f'"{res.etag}"'
        if validators in ("date", "both"):
            headers["If-Modified-Since"] = res.headers["Last-Modified"]
        assert second.get(path, headers=headers).status_int == 304
        # Two edits within the same second as the copy the client holds.
        site.update(a, texts={"id": {"body": f"satu {round_}"}})
        site.update(a, texts={"id": {"body": f"dua {round_}"}})
        fresh = settle(second, path, lambda r, n=round_: f"dua {n}" in r.text)
        again = second.get(path, headers=headers)
        assert again.status_int == 200 and again.body != held and again.body == fresh.body
        if "Last-Modified" in fresh.headers:
            modified = _http_date(fresh.headers["Last-Modified"])
            # Later than the copy held, and never in the future.
            assert _http_date(res.headers["Last-Modified"]) < modified <= dt.datetime.now(dt.UTC)


def test_the_etag_is_the_bytes_and_last_modified_the_page_s_own_change(apps, site):
    first, second = apps
    a, a_slug = site.topic("Pi")
    c, c_slug = site.topic("Rho")
    c_page = settle(second, f"/topics/{c_slug}", lambda r: "Last-Modified" in r.headers, seconds=4)
    site.update(a, texts={"id": {"body": "baru"}})
    settle(second, f"/topics/{a_slug}", lambda r: "baru" in r.text)
    again = second.get(f"/topics/{c_slug}")
    assert again.etag == c_page.etag
    assert again.headers["Last-Modified"] == c_page.headers["Last-Modified"]
