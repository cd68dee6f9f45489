import datetime as dt

from pybackend.models.item import TOPIC_KINDS
from pybackend.services import content
from pybackend.services.seed import read_seed
from tests.factories import make_example, make_link, make_topic


def test_public_item_hides_drafts_and_deleted(dbsession):
    make_topic(dbsession, slug="draft-one", status="draft")
    make_topic(dbsession, slug="gone", deleted_at=dt.datetime.now(dt.UTC))
    make_topic(dbsession, slug="here")
    assert content.public_item(dbsession, "topic", "draft-one") is None
    assert content.public_item(dbsession, "topic", "gone") is None
    assert content.public_item(dbsession, "topic", "here").slug == "here"
    assert content.public_item(dbsession, "example", "here") is None


def test_old_slug_finds_the_current_one(dbsession):
    make_topic(dbsession, slug="new-name", old_slugs=["old-name"])
    assert content.renamed_item_slug(dbsession, "topic", "old-name") == "new-name"
    assert content.renamed_item_slug(dbsession, "example", "old-name") is None


def test_backlinks_come_from_bodies_and_follow_renames(dbsession):
    target = make_topic(dbsession, slug="target", old_slugs=["older-target"])
    make_topic(
        dbsession,
        slug="linker",
        texts={"id": ("Linker", "r", "Lihat [t](topic:older-target)."), "en": None},
    )
    make_example(
        dbsession,
        slug="draft-linker",
        status="draft",
        texts={"id": ("Draft", "r", "[t](topic:target)"), "en": None},
    )
    assert [i.slug for i in content.backlinks(dbsession, target)] == ["linker"]


def test_seed_backlinks(dbsession):
    django = content.public_item(dbsession, "topic", "django")
    slugs = {(i.type, i.slug) for i in content.backlinks(dbsession, django)}
    assert ("example", "instagram") in slugs
    assert ("topic", "flask") in slugs


def test_uses_and_used_by_only_show_public_items(dbsession):
    topic = make_topic(dbsession)
    shown = make_example(dbsession)
    hidden = make_example(dbsession, status="draft")
    make_link(dbsession, shown, topic, note_id="karena", note_en="because")
    make_link(dbsession, hidden, topic)
    used_by = content.used_by(dbsession, topic)
    assert [(other.slug, link.note("en")) for link, other in used_by] == [(shown.slug, "because")]
    assert [other.slug for _, other in content.uses(dbsession, shown)] == [topic.slug]


def test_related_knows_the_direction(dbsession):
    pylons = content.public_item(dbsession, "topic", "pylons")
    pyramid = content.public_item(dbsession, "topic", "pyramid")
    from_pyramid = {
        (o.slug, link.kind, out) for link, o, out in content.related(dbsession, pyramid)
    }
    from_pylons = {(o.slug, link.kind, out) for link, o, out in content.related(dbsession, pylons)}
    assert ("pylons", "successor_of", True) in from_pyramid
    assert ("pyramid", "successor_of", False) in from_pylons


def test_text_for_falls_back_to_indonesian(dbsession):
    topic = make_topic(dbsession, texts={"id": ("Judul", "R", "Isi"), "en": None})
    text, fallback = content.text_for(topic, "en")
    assert (text.title, fallback) == ("Judul", True)
    text, fallback = content.text_for(topic, "id")
    assert (text.title, fallback) == ("Judul", False)


def test_translation_is_stale_after_the_source_changes(dbsession):
    topic = make_topic(dbsession)
    assert not content.is_stale(topic, "en")
    topic.texts["id"].body = "Isi yang baru."
    dbsession.flush()
    assert content.is_stale(topic, "en")
    assert not content.is_stale(topic, "id")


def test_list_public_groups_topics_by_kind(dbsession):
    seed_topics = read_seed()["topic"]
    kinds = [t.kind for t in content.list_public(dbsession, "topic", limit=100)]
    assert len(kinds) == len(seed_topics)
    assert kinds == sorted(kinds, key=TOPIC_KINDS.index)
    messaging = [topic for topic in seed_topics if topic["kind"] == "messaging"]
    assert len(messaging) > 1
    assert content.count_public(dbsession, "topic", kind="messaging") == len(messaging)


def test_list_counts_follow_committed_changes_and_a_transaction_s_own(app, dbengine):
    """The counts of the lists are kept between requests; a commit that the lists show
    (publish, trash, a new kind) changes them at once, and a transaction that changed
    content counts what it sees itself."""
    import transaction
    from sqlalchemy import select

    from pybackend import models
    from pybackend.models import Item

    factory = app.registry["dbsession_factory"]

    def counts():
        with transaction.manager:
            session = models.get_tm_session(factory)
            return (
                content.count_public(session, "topic"),
                content.count_public(session, "topic", kind="tool"),
                content.count_public(session, "example"),
            )

    before = counts()
    assert counts() == before  # the kept counts, as read the first time
    try:
        with transaction.manager:
            session = models.get_tm_session(factory)
            make_topic(session, slug="counted-tool", kind="tool")
            make_example(session, slug="counted-example")
            # This transaction's own changes are counted, before anything is committed.
            assert content.count_public(session, "topic") == before[0] + 1
        assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
        with transaction.manager:
            session = models.get_tm_session(factory)
            session.scalars(select(Item).where(Item.slug == "counted-tool")).one().status = "draft"
        assert counts() == (before[0], before[1], before[2] + 1)
    finally:
        with transaction.manager:
            session = models.get_tm_session(factory)
            for item in session.scalars(select(Item).where(Item.slug.like("counted-%"))):
                session.delete(item)
    assert counts() == before
