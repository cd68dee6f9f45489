"""Two editors, one topic: the second save is a 409 with a merge screen, never a lost update."""

import re
import threading
import urllib.parse

import pytest
import requests
import waitress
import webtest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pybackend import main
from pybackend.models import Item, Revision, User
from pybackend.services import accounts, editing
from tests.functional.admin_helpers import PASSWORD, login, make_user


def edit_form(client, item):
    return client.get(f"/admin/topics/{item.id}").forms["item-form"]


def revisions(dbsession, item):
    return dbsession.scalar(
        select(func.count()).select_from(Revision).where(Revision.item_id == item.id)
    )


@pytest.fixture
def two_editors(app, testapp, dbsession):
    make_user(dbsession, "ana")
    make_user(dbsession, "budi")
    other = webtest.TestApp(app, extra_environ=dict(testapp.extra_environ))
    login(testapp, "ana")
    login(other, "budi")
    return testapp, other


def test_second_save_gets_409_with_both_texts_then_merges(two_editors, dbsession):
    ana, budi = two_editors
    topic = dbsession.scalars(select(Item).where(Item.slug == "flask")).one()
    form_a, form_b = edit_form(ana, topic), edit_form(budi, topic)
    before = revisions(dbsession, topic)

    form_a["summary"] = "Ringkasan dari Ana."
    form_a.submit("action", value="save", status=303)

    form_b["summary"] = "Ringkasan dari Budi."
    form_b["body"] = form_b["body"].value + "\n\nParagraf tambahan dari Budi."
    res = form_b.submit("action", value="save", status=409)
    # The database holds Ana's text; Budi's is on the page, not lost.
    assert topic.texts["id"].summary == "Ringkasan dari Ana."
    conflict = res.html.find("section", class_="conflict")
    assert "Ringkasan dari Ana." in conflict.get_text()
    assert "Ringkasan dari Budi." in conflict.get_text()
    merge = res.forms["item-form"]
    assert merge["summary"].value == "Ringkasan dari Budi."
    assert "Paragraf tambahan dari Budi." in merge["body"].value  # only Budi changed the body
    assert merge["version"].value == str(topic.version)

    merge["summary"] = "Ringkasan gabungan."
    merge.submit("action", value="save", status=303)
    assert topic.texts["id"].summary == "Ringkasan gabungan."
    assert "Paragraf tambahan dari Budi." in topic.texts["id"].body
    assert revisions(dbsession, topic) == before + 2  # Ana's, then exactly one merged


def test_choosing_the_saved_text_on_the_merge_screen(two_editors, dbsession):
    ana, budi = two_editors
    topic = dbsession.scalars(select(Item).where(Item.slug == "celery")).one()
    form_a, form_b = edit_form(ana, topic), edit_form(budi, topic)
    form_a["title"] = "Celery (Ana)"
    form_a.submit("action", value="save", status=303)
    form_b["title"] = "Celery (Budi)"
    merge = form_b.submit("action", value="save", status=409).forms["item-form"]
    fields = dict(merge.submit_fields())
    fields.update({"take-title": "saved", "action": "save"})
    budi.post(merge.action, fields, status=303)
    assert topic.texts["id"].title == "Celery (Ana)"


def test_two_tabs_of_the_same_user(testapp, dbsession):
    make_user(dbsession, "ana")
    login(testapp, "ana")
    topic = dbsession.scalars(select(Item).where(Item.slug == "requests")).one()
    tab1, tab2 = edit_form(testapp, topic), edit_form(testapp, topic)
    tab1["title"] = "Requests 1"
    tab1.submit("action", value="save", status=303)
    tab2["title"] = "Requests 2"
    tab2.submit("action", value="save", status=409)
    assert topic.texts["id"].title == "Requests 1"


def test_a_conflicting_delete_is_refused(two_editors, dbsession):
    ana, budi = two_editors
    topic = dbsession.scalars(select(Item).where(Item.slug == "kafka")).one()
    delete_page = budi.get(f"/admin/topics/{topic.id}/delete")
    form_a = edit_form(ana, topic)
    form_a["summary"] = "Baru."
    form_a.submit("action", value="save", status=303)
    [form] = [f for f in delete_page.forms.values() if f.action.endswith("/delete")]
    form.submit(status=409)
    assert topic.deleted_at is None


@pytest.mark.parametrize("page", ["new", "edit"])
def test_a_slug_taken_after_the_form_checked_it_is_a_409(testapp, dbsession, monkeypatch, page):
    """The race of the live test below, made certain: the form found the slug free, and by
    the save another editor had it. A 409 and nothing written, never a 500 (DATA-5)."""
    make_user(dbsession, "ana")
    login(testapp, "ana")
    django = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    form = testapp.get("/admin/topics/new" if page == "new" else f"/admin/topics/{django.id}")
    form = form.forms["item-form"]
    form["slug"], form["title"] = "flask", "Flask lagi"
    real = editing.slug_available
    checks = []

    def free_for_the_form_only(*args, **kwargs):
        checks.append(args)
        return len(checks) == 1 or real(*args, **kwargs)

    monkeypatch.setattr(editing, "slug_available", free_for_the_form_only)
    before = dbsession.scalar(select(func.count()).select_from(Item))
    res = form.submit("action", value="publish", status=409)
    assert "Traceback" not in res.text
    assert len(checks) == 2  # the form's check, then the service's
    if page == "new":
        # (The rename left django dirty in this test's shared session; pyramid_tm aborts
        # it in production.)
        assert dbsession.scalar(select(func.count()).select_from(Item)) == before


# -- Many simultaneous saves against a real waitress --------------------------------------


@pytest.fixture
def live_app(app_settings, dbengine):
    """A live waitress with committed data: two editors and a topic of their own."""
    with Session(bind=dbengine) as session:
        for name in ("race-a", "race-b"):
            accounts.create_user(session, name, PASSWORD, "editor")
        draft = editing.Draft(
            fields={"slug": "race-topic", "kind": "library"},
            texts={"id": {"title": "Balapan", "summary": "", "body": "0"}},
        )
        item = editing.create_item(session, "topic", draft, None, publish=True)
        session.commit()
        item_id = item.id
    app = main({}, dbengine=dbengine, **{**app_settings, "pybackend.allowed_hosts": "127.0.0.1"})
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", item_id
    server.close()
    thread.join(timeout=5)
    with Session(bind=dbengine) as session:
        session.delete(session.get(Item, item_id))
        for user in session.scalars(select(User).where(User.username.in_(["race-a", "race-b"]))):
            session.delete(user)
        session.commit()


def http_login(base, username):
    client = requests.Session()
    page = client.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    res = client.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": ""},
        allow_redirects=False,
        timeout=10,
    )
    assert res.status_code == 303
    return client


def load_form(client, url):
    page = client.get(url, timeout=10).text
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    return {
        "csrf_token": fields["csrf_token"],
        "version": fields["version"],
        "slug": "race-topic",
        "kind": "library",
        "summary": "",
        "en_title": "",
        "en_summary": "",
        "en_body": "",
    }


def test_fifty_rounds_of_simultaneous_saves_never_lose_an_update(live_app, dbengine):
    base, item_id = live_app
    url = f"{base}/admin/topics/{item_id}"
    clients = {name: http_login(base, name) for name in ("race-a", "race-b")}
    accepted = []
    for round_number in range(50):
        forms = {name: load_form(client, url) for name, client in clients.items()}
        barrier = threading.Barrier(len(clients))
        results = {}

        def save(name, round_number=round_number, forms=forms, barrier=barrier, results=results):
            data = {
                **forms[name],
                "title": f"{name} {round_number}",
                "body": f"{name} {round_number}",
                "action": "save",
            }
            barrier.wait(timeout=10)
            res = clients[name].post(
                url,
                data=urllib.parse.urlencode(data),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                allow_redirects=False,
                timeout=30,
            )
            results[name] = res.status_code

        threads = [threading.Thread(target=save, args=(name,)) for name in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        codes = sorted(results.values())
        assert 500 not in codes and len(codes) == 2, codes
        # Both loaded the same version: exactly one save wins, the other is told (409),
        # or, if SQLite's lock outlasted the busy timeout, asked to retry (503).
        assert codes in ([303, 409], [303, 503]), codes
        winners = [name for name, code in results.items() if code == 303]
        accepted.extend(f"{name} {round_number}" for name in winners)

    with Session(bind=dbengine) as session:
        item = session.get(Item, item_id)
        saved = [
            r.data["texts"]["id"]["body"]
            for r in session.scalars(
                select(Revision).where(Revision.item_id == item_id).order_by(Revision.number)
            )
        ]
        # Every accepted save is in the history, in order, and the last one is current.
        assert saved[1:] == accepted
        assert item.texts["id"].body == accepted[-1]


def test_simultaneous_creates_with_one_slug_end_as_one_page_and_one_refusal(live_app, dbengine):
    """DATA-5: a duplicate-slug race is a form error or a 409, never a 500."""
    base, _ = live_app
    url = f"{base}/admin/topics/new"
    clients = {name: http_login(base, name) for name in ("race-a", "race-b")}
    try:
        for round_number in range(5):
            slug = f"race-slug-{round_number}"
            tokens = {
                name: re.search(
                    r'name="csrf_token" value="([^"]+)"', client.get(url, timeout=10).text
                ).group(1)
                for name, client in clients.items()
            }
            barrier = threading.Barrier(len(clients))
            results = {}

            def create(name, slug=slug, tokens=tokens, barrier=barrier, results=results):
                data = {
                    "csrf_token": tokens[name],
                    "slug": slug,
                    "kind": "library",
                    "title": f"{name}",
                    "action": "publish",
                }
                barrier.wait(timeout=10)
                res = clients[name].post(url, data=data, allow_redirects=False, timeout=30)
                results[name] = res.status_code

            threads = [threading.Thread(target=create, args=(name,)) for name in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            codes = sorted(results.values())
            assert codes in ([303, 400], [303, 409], [303, 503]), codes
    finally:
        with Session(bind=dbengine) as session:
            for item in session.scalars(select(Item).where(Item.slug.like("race-slug-%"))):
                session.delete(item)
            session.commit()
