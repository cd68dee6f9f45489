"""Accounts and logging in for WebTest tests of the editors' area."""

import contextlib

import webtest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pybackend.models import AuditEntry, Item, LoginAttempt, User
from pybackend.services import accounts, editing

PASSWORD = "correct horse battery staple"


def make_user(dbsession, username="ed", role="editor", password=PASSWORD):
    return accounts.create_user(dbsession, username, password, role)


def csrf(res):
    """The CSRF token of the first form on ``res``."""
    field = res.html.find("input", attrs={"name": "csrf_token"})
    assert field is not None, "no csrf_token on this page"
    return field["value"]


def login(testapp, username="ed", password=PASSWORD):
    """Log in through the login form; returns the page the login redirects to."""
    page = testapp.get("/login")
    res = testapp.post(
        "/login",
        {"username": username, "password": password, "csrf_token": csrf(page), "next": ""},
        status=303,
    )
    return res.follow()


def logged_in(testapp, dbsession, username="ed", role="editor"):
    """Create a user and log in as them; returns the user."""
    user = make_user(dbsession, username, role)
    login(testapp, username)
    return user


@contextlib.contextmanager
def committed_editor(app, dbengine, username, slug, title, prefix=None):
    """An editor and a published topic, committed, and a client logged in as the editor
    whose requests commit (no ``tm.active``: pyramid_tm and pyramid_retry run as in
    production); yields (client, topic id). Afterwards the topic (its texts, revisions
    and links go with it), the user (and its sessions), the topics whose slug starts
    with ``prefix`` (the test's own), and the audit entries and login attempts made
    meanwhile are removed."""
    with Session(bind=dbengine) as session:
        marks = {
            model: session.scalar(select(func.coalesce(func.max(model.id), 0)))
            for model in (AuditEntry, LoginAttempt)
        }
        accounts.create_user(session, username, PASSWORD, "editor")
        draft = editing.Draft(
            fields={"slug": slug, "kind": "library"},
            texts={"id": {"title": title, "summary": "", "body": "Awal."}},
        )
        item_id = editing.create_item(session, "topic", draft, None, publish=True).id
        session.commit()
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    login(client, username)
    try:
        yield client, item_id
    finally:
        with Session(bind=dbengine) as session:
            session.execute(delete(Item).where(Item.id == item_id))
            if prefix:
                session.execute(delete(Item).where(Item.slug.like(f"{prefix}%")))
            session.execute(delete(User).where(User.username == username))
            for model, mark in marks.items():
                session.execute(delete(model).where(model.id > mark))
            session.commit()
