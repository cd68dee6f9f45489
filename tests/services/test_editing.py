"""The editing service: optimistic locking, revisions, slugs, trash, revert, staleness."""

import pytest
from sqlalchemy import func, select

from pybackend.models import Link, Revision, SlugHistory
from pybackend.services import content, editing
from tests.factories import make_example, make_link, make_topic


def draft(
    title="Judul", body="Isi.", en_title="Title", en_body="Body.", slug=None, links=None, **fields
):
    if slug:
        fields["slug"] = slug
    return editing.Draft(
        fields=fields,
        texts={
            "id": {"title": title, "summary": "Ringkasan", "body": body},
            "en": {"title": en_title, "summary": "Summary", "body": en_body},
        },
        links=links if links is not None else [],
    )


def revisions(dbsession, item):
    return list(
        dbsession.scalars(
            select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)
        )
    )


def test_create_records_revision_one_as_draft(dbsession):
    item = editing.create_item(
        dbsession, "topic", draft(slug="baru", kind="library"), None, comment="first"
    )
    assert item.status == "draft"
    [rev] = revisions(dbsession, item)
    assert (rev.number, rev.action, rev.comment) == (1, "create", "first")
    assert rev.data["texts"]["id"]["title"] == "Judul"
    assert rev.data["texts"]["en"]["title"] == "Title"


def test_update_with_the_loaded_version_saves_and_bumps_the_version(dbsession):
    item = make_topic(dbsession)
    editing.ensure_initial_revisions(dbsession)
    loaded = item.version
    editing.update_item(dbsession, item, loaded, draft(title="Baru"), None)
    assert item.version == loaded + 1
    assert item.texts["id"].title == "Baru"
    assert [r.action for r in revisions(dbsession, item)] == ["create", "update"]


def test_update_with_an_old_version_is_a_conflict_and_changes_nothing(dbsession):
    item = make_topic(dbsession)
    editing.update_item(dbsession, item, item.version, draft(title="Pertama"), None)
    with pytest.raises(editing.Conflict):
        editing.update_item(dbsession, item, item.version - 1, draft(title="Kedua"), None)
    assert item.texts["id"].title == "Pertama"


def test_text_only_changes_still_move_the_item_version(dbsession):
    item = make_topic(dbsession)
    before = item.version
    editing.update_item(
        dbsession, item, before, draft(title=item.texts["id"].title, body="Isi lain."), None
    )
    assert item.version > before


def test_changing_the_source_marks_the_translation_stale(dbsession):
    item = make_topic(dbsession)
    same_en = {"en_title": item.texts["en"].title}
    d = draft(
        body="Isi baru sama sekali.", en_title=same_en["en_title"], en_body=item.texts["en"].body
    )
    d.texts["en"]["summary"] = item.texts["en"].summary
    editing.update_item(dbsession, item, item.version, d, None)
    assert content.is_stale(item, "en")
    # Checking the translation (without changing it) makes it current again.
    d.translation_current = True
    editing.update_item(dbsession, item, item.version, d, None)
    assert not content.is_stale(item, "en")


def test_saving_the_translation_makes_it_current(dbsession):
    item = make_topic(dbsession)
    editing.update_item(dbsession, item, item.version, draft(body="Isi baru."), None)
    assert not content.is_stale(item, "en")  # both changed in the same save


def test_rename_keeps_the_old_slug_and_can_go_back(dbsession):
    item = make_topic(dbsession, slug="nama-lama")
    editing.update_item(dbsession, item, item.version, draft(slug="nama-baru"), None)
    assert content.renamed_item_slug(dbsession, "topic", "nama-lama") == "nama-baru"
    editing.update_item(dbsession, item, item.version, draft(slug="nama-lama"), None)
    olds = {
        h.slug for h in dbsession.scalars(select(SlugHistory).where(SlugHistory.item_id == item.id))
    }
    assert olds == {"nama-baru"}


def test_a_slug_another_item_had_is_taken(dbsession):
    make_topic(dbsession, slug="pemilik", old_slugs=["warisan"])
    item = make_topic(dbsession)
    with pytest.raises(editing.SlugTaken):
        editing.update_item(dbsession, item, item.version, draft(slug="warisan"), None)
    assert not editing.slug_available(dbsession, "topic", "pemilik")
    assert editing.slug_available(dbsession, "example", "pemilik")


def test_links_are_replaced_and_kept_in_the_revision(dbsession):
    example = make_example(dbsession)
    a, b = make_topic(dbsession), make_topic(dbsession)
    rows = [
        {"target_id": a.id, "kind": "uses", "note_id": "karena", "note_en": "because"},
        {"target_id": b.id, "kind": "uses", "note_id": "", "note_en": ""},
    ]
    rev = editing.update_item(dbsession, example, example.version, draft(links=rows), None)
    assert {(link["target_id"], link["note_en"]) for link in rev.data["links"]} == {
        (a.id, "because"),
        (b.id, ""),
    }
    editing.update_item(dbsession, example, example.version, draft(links=rows[:1]), None)
    assert [o.id for _, o in content.uses(dbsession, example)] == [a.id]


def test_delete_is_soft_and_restore_brings_back_the_links(dbsession):
    topic = make_topic(dbsession, slug="dibuang")
    example = make_example(dbsession)
    make_link(dbsession, example, topic)
    editing.delete_item(dbsession, topic, topic.version, None, comment="salah")
    assert content.public_item(dbsession, "topic", "dibuang") is None
    assert content.used_by(dbsession, topic) == []
    editing.restore_item(dbsession, topic, None)
    assert content.public_item(dbsession, "topic", "dibuang") is not None
    assert [o.id for _, o in content.used_by(dbsession, topic)] == [example.id]
    assert [r.action for r in revisions(dbsession, topic)][-2:] == ["delete", "restore"]


def test_delete_with_a_stale_version_is_a_conflict(dbsession):
    topic = make_topic(dbsession)
    with pytest.raises(editing.Conflict):
        editing.delete_item(dbsession, topic, topic.version - 1, None)
    assert topic.deleted_at is None


def test_revert_restores_old_text_as_a_new_revision(dbsession):
    item = make_topic(dbsession)
    editing.ensure_initial_revisions(dbsession)
    first = revisions(dbsession, item)[0]
    editing.update_item(dbsession, item, item.version, draft(title="Diubah"), None)
    new = editing.revert_to(dbsession, item, first, item.version, None)
    assert item.texts["id"].title == first.data["texts"]["id"]["title"]
    assert new.action == "revert" and new.number == 3
    assert len(revisions(dbsession, item)) == 3  # nothing rewritten


def test_revert_skips_links_to_purged_items(dbsession):
    example = make_example(dbsession)
    gone = make_topic(dbsession)
    editing.update_item(
        dbsession,
        example,
        example.version,
        draft(links=[{"target_id": gone.id, "kind": "uses"}]),
        None,
    )
    old = revisions(dbsession, example)[-1]
    editing.purge_item(dbsession, gone)
    editing.revert_to(dbsession, example, old, example.version, None)
    assert (
        dbsession.scalar(select(func.count()).select_from(Link).where(Link.source_id == example.id))
        == 0
    )


def test_seed_items_have_a_first_revision(dbsession):
    django = content.public_item(dbsession, "topic", "django")
    [rev] = revisions(dbsession, django)
    assert rev.action == "create"
