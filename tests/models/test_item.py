import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from pybackend.models import Item, ItemText, Topic
from tests.factories import make_example, make_topic


def test_seed_has_every_required_page(dbsession):
    slugs = {(i.type, i.slug) for i in dbsession.scalars(select(Item))}
    for slug in (
        "python",
        "django",
        "flask",
        "pyramid",
        "requests",
        "sqlalchemy",
        "celery",
        "kafka",
        "zeromq",
    ):
        assert ("topic", slug) in slugs
    for slug in ("instagram", "spotify", "reddit"):
        assert ("example", slug) in slugs


def test_every_seed_item_has_both_languages_and_a_real_body(dbsession):
    for item in dbsession.scalars(select(Item)):
        for lang in ("id", "en"):
            text = item.text(lang)
            assert text is not None, (item.slug, lang)
            assert len(text.summary) > 40
            assert text.body.count("\n\n") >= 3, f"{item.slug}/{lang} needs several paragraphs"
        assert item.texts["id"].body != item.texts["en"].body


def test_version_counter_increases_on_every_update(dbsession):
    topic = make_topic(dbsession)
    first = topic.version
    topic.website = "https://example.com/"
    dbsession.flush()
    assert topic.version == first + 1


def test_concurrent_update_of_an_old_version_is_refused(dbsession):
    topic = make_topic(dbsession)
    text = topic.texts["id"]
    # Someone else saved in between: the row's version moved on.
    dbsession.execute(
        ItemText.__table__.update().where(ItemText.id == text.id).values(version=text.version + 1)
    )
    text.title = "Mine"
    with pytest.raises(StaleDataError):
        dbsession.flush()


def test_slug_is_unique_per_type_but_shared_across_types(dbsession):
    make_topic(dbsession, slug="same")
    make_example(dbsession, slug="same")
    dbsession.add(Topic(slug="same", kind="library", status="published"))
    with pytest.raises(IntegrityError):
        dbsession.flush()


def test_missing_translation_is_none(dbsession):
    topic = make_topic(dbsession, texts={"id": ("Judul", "Ringkasan", "Isi"), "en": None})
    assert topic.text("en") is None
    assert topic.text("id").title == "Judul"


def test_public_means_published_and_not_deleted(dbsession):
    import datetime as dt

    assert make_topic(dbsession).is_public
    assert not make_topic(dbsession, status="draft").is_public
    assert not make_topic(dbsession, deleted_at=dt.datetime.now(dt.UTC)).is_public
