"""Accounts and logging in for WebTest tests of the editors' area."""

from pybackend.services import accounts

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
