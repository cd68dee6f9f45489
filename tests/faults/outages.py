"""What the fault cases assert about answers during and after a database fault."""

import time

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from pybackend.config import normalize_database_url
from pybackend.models import Item, Revision
from tests.scripts.databases import assert_history_consistent

from .harness import form_fields

# The bound on a request waiting for the database (then a 503), with slack for a
# loaded machine.
DB_WAIT_BOUND = 12


def timed_get(url, timeout=30, **kw):
    """(status or "no answer", seconds, headers) of one GET."""
    started = time.monotonic()
    try:
        response = requests.get(url, timeout=timeout, **kw)
        return response.status_code, time.monotonic() - started, response.headers
    except requests.RequestException as e:
        return f"no answer ({type(e).__name__})", time.monotonic() - started, {}


def assert_branded_503(status, headers):
    """An outage answer: 503 with Retry-After and our headers, not a bare 500."""
    assert status == 503, status
    assert headers.get("Retry-After"), dict(headers)
    assert headers.get("X-Content-Type-Options") == "nosniff", dict(headers)


def assert_text_kept(response, fields):
    """A failed save: the form again, status 503, with everything the editor typed."""
    assert response.status_code == 503, response.status_code
    assert response.headers.get("Retry-After")
    assert 'id="item-form"' in response.text, "the form is not on the page"
    returned = form_fields(response.text, "item-form")
    for name in ("summary", "body"):
        assert returned.get(name) == fields[name], (name, returned.get(name), fields[name])


def healthz_fast(url, probes=10):
    """/healthz answers 200 to every probe, and within 100 ms to nearly all of them."""
    answers = [timed_get(url + "/healthz", timeout=5) for _ in range(probes)]
    assert [status for status, _, _ in answers] == [200] * probes
    fast = sum(seconds < 0.1 for _, seconds, _ in answers)
    assert fast >= probes - 1, [round(seconds, 3) for _, seconds, _ in answers]


def engine(url):
    return create_engine(normalize_database_url(url))


def item_id(url, slug="flask"):
    db = engine(url)
    try:
        with Session(db) as session:
            return session.scalars(select(Item.id).where(Item.slug == slug)).one()
    finally:
        db.dispose()


def saved_texts(url, item):
    """(current summary, current body, every body in the item's revisions) in Indonesian."""
    db = engine(url)
    try:
        assert_history_consistent(db)
        with Session(db) as session:
            current = session.get(Item, item).texts["id"]
            bodies = [
                data["texts"]["id"]["body"]
                for data in session.scalars(select(Revision.data).where(Revision.item_id == item))
            ]
            return current.summary, current.body, bodies
    finally:
        db.dispose()


def save_after_recovery(editor, item, fields, timeout=30):
    """The same form again once the database is back: it succeeds without a restart."""
    deadline = time.monotonic() + timeout
    while True:
        answer = editor.save(item, fields)
        if answer.status_code == 303 or time.monotonic() > deadline:
            assert answer.status_code == 303, answer.status_code
            return answer
        assert answer.status_code == 503, answer.status_code
        time.sleep(1)


def typed(editor, item, word):
    """The edit form with new text in it, as the editor typed it."""
    fields = editor.edit_form(item)
    fields["summary"] = f"Ringkasan {word}."
    fields["body"] = fields["body"] + f"\n\nParagraf {word}."
    return fields
