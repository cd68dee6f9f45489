"""The three-way merge of an edit form with what was saved since it was loaded (DATA-1).

An editor's form carries the version it was loaded at. When someone saved in between,
each field is compared three ways: what the editor sent, what is stored now, and what
the editor started from (the revision of the loaded version). A field only one side
changed takes that side's value quietly; a field both changed is a conflict the editor
decides. Nothing is lost either way: both texts stay on the screen.
"""

from sqlalchemy import select

from ..models import Revision


def three_way(mine, saved, base):
    """``mine``, ``saved`` and ``base`` map field names to values (``base`` may be None
    when the loaded version has no revision: then every difference is a conflict).

    Returns (merged, conflicts): the value each field of ``mine`` should now hold, and the
    names of the fields that both sides changed, in the order of ``mine``.
    """
    merged, conflicts = {}, []
    for name, my_value in mine.items():
        their_value = saved.get(name) or ""
        started = None if base is None else base.get(name, "")
        if my_value == their_value or started == their_value:
            merged[name] = my_value  # the same, or only I changed it: keep mine
        elif started == my_value:
            merged[name] = their_value  # only they changed it: take theirs
        else:
            merged[name] = my_value
            conflicts.append(name)
    return merged, conflicts


def revision_at(dbsession, item, version):
    """The newest revision of ``item`` made at ``version`` (None if there is none)."""
    if version is None:
        return None
    return dbsession.scalars(
        select(Revision)
        .where(Revision.item_id == item.id, Revision.item_version == version)
        .order_by(Revision.number.desc())
    ).first()


def last_revision(dbsession, item):
    return dbsession.scalars(
        select(Revision).where(Revision.item_id == item.id).order_by(Revision.number.desc())
    ).first()
