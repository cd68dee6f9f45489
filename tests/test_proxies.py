"""Clients behind trusted proxies (pybackend.trusted_proxies): throttling, audit, request ids."""

import pytest
from sqlalchemy import func, select

from pybackend import main
from pybackend.config import ConfigurationError
from pybackend.models import AuditEntry
from pybackend.proxies import Networks, apply_forwarded
from pybackend.services import accounts
from tests.conftest import joined_client

PASSWORD = "correct horse battery staple"
PROXY = "10.0.0.5"  # a proxy on another host, in a trusted network
TRUSTED = "127.0.0.1 ::1 10.0.0.0/8"


def resolved(peer, **headers):
    environ = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http", "HTTP_HOST": "backend:6543"}
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    apply_forwarded(environ, Networks.from_setting(TRUSTED, "test"))
    return environ


def test_the_setting_takes_addresses_and_networks():
    networks = Networks.from_setting(TRUSTED, "pybackend.trusted_proxies")
    assert "10.200.3.4" in networks and "127.0.0.1" in networks and "::1" in networks
    assert "11.0.0.1" not in networks and "" not in networks and "garbage" not in networks
    assert "::ffff:10.1.1.1" in networks  # IPv4 seen through an IPv6 socket
    assert not Networks.from_setting("", "x")


def test_a_bad_entry_stops_the_app_with_a_clear_message():
    with pytest.raises(ConfigurationError, match="'10.0.0.0/33' is not an address or network"):
        Networks.from_setting("127.0.0.1 10.0.0.0/33", "pybackend.trusted_proxies")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # Right to left, skipping our own hops: what the client wrote on the left is ignored.
        (PROXY, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (PROXY, "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        ("127.0.0.1", "198.51.100.2, 10.1.1.1, 10.0.0.9", "198.51.100.2"),
        (PROXY, "10.0.0.8", "10.0.0.8"),  # only our hops: the farthest of them
        (PROXY, "2001:db8::1", "2001:db8::1"),
        (PROXY, "unknown, 10.0.0.8", "10.0.0.8"),  # unreadable: stop at the proxy that wrote it
        # Not a trusted peer: its header is a claim, not a fact.
        ("203.0.113.50", "10.0.0.1", "203.0.113.50"),
    ],
)
def test_the_client_address(peer, forwarded_for, client):
    assert resolved(peer, x_forwarded_for=forwarded_for)["REMOTE_ADDR"] == client


def test_forwarded_header_rfc_7239():
    environ = resolved(
        PROXY,
        forwarded='for=6.6.6.6, for="[2001:db8::7]:4711";proto=https;host=guide.example',
        x_forwarded_for="1.2.3.4",  # Forwarded wins when both are sent
    )
    assert environ["REMOTE_ADDR"] == "2001:db8::7"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["HTTP_HOST"] == "guide.example"


def test_scheme_host_and_port_from_a_trusted_proxy_only():
    trusted = resolved(
        PROXY, x_forwarded_proto="https", x_forwarded_host="guide.example", x_forwarded_port="8443"
    )
    assert trusted["wsgi.url_scheme"] == "https"
    assert trusted["HTTP_HOST"] == "guide.example:8443"
    stranger = resolved("203.0.113.50", x_forwarded_proto="https", x_forwarded_host="evil.example")
    assert stranger["wsgi.url_scheme"] == "http"
    assert stranger["HTTP_HOST"] == "backend:6543"
    assert "HTTP_X_FORWARDED_PROTO" not in stranger and "HTTP_X_FORWARDED_HOST" not in stranger


@pytest.fixture(scope="module")
def proxied_app(app_settings, dbengine):
    return main({}, dbengine=dbengine, **{**app_settings, "pybackend.trusted_proxies": TRUSTED})


@pytest.fixture
def client(proxied_app, tm, dbsession):
    return joined_client(proxied_app, tm, dbsession)


def csrf_of(res):
    return res.html.find("input", attrs={"name": "csrf_token"})["value"]


def post_login(client, forwarded_for, password, status, peer=PROXY):
    env = {"REMOTE_ADDR": peer}
    headers = {"X-Forwarded-For": forwarded_for}
    client.reset()
    page = client.get("/login", extra_environ=env, headers=headers)
    form = {"username": "ed", "password": password, "csrf_token": csrf_of(page), "next": ""}
    return client.post("/login", form, extra_environ=env, headers=headers, status=status)


def audit_since(dbsession, first_id, action):
    """This test's audit entries (other tests may have committed some of their own)."""
    query = select(AuditEntry).where(AuditEntry.id > first_id, AuditEntry.action == action)
    return dbsession.scalars(query.order_by(AuditEntry.id)).all()


def last_audit_id(dbsession):
    return dbsession.scalar(select(func.max(AuditEntry.id))) or 0


def test_throttling_counts_each_client_behind_a_remote_proxy(client, dbsession):
    accounts.create_user(dbsession, "ed", PASSWORD, "editor")
    first = last_audit_id(dbsession)
    for _ in range(accounts.USERNAME_LIMIT):
        post_login(client, "203.0.113.9", "wrong password 123", 400)
    post_login(client, "203.0.113.9", PASSWORD, 429)
    # Another reader behind the same proxy is not locked out with the first one.
    post_login(client, "198.51.100.20", PASSWORD, 303)
    failures = audit_since(dbsession, first, "login.failure")
    assert {e.client_addr for e in failures} == {"203.0.113.9"}
    assert [e.client_addr for e in audit_since(dbsession, first, "login")] == ["198.51.100.20"]


def test_a_client_cannot_pick_its_address_by_sending_the_header(client, dbsession):
    accounts.create_user(dbsession, "ed", PASSWORD, "editor")
    first = last_audit_id(dbsession)
    for n in range(accounts.USERNAME_LIMIT):
        # Straight to the app, inventing a new "forwarded" address each time.
        post_login(client, f"192.0.2.{n}", "wrong password 123", 400, peer="203.0.113.66")
    post_login(client, "192.0.2.200", PASSWORD, 429, peer="203.0.113.66")
    failures = audit_since(dbsession, first, "login.failure")
    assert {e.client_addr for e in failures} == {"203.0.113.66"}


def test_request_id_is_taken_from_a_trusted_proxy_only(client):
    wanted = {"X-Request-Id": "proxy-chose-this-0001"}
    from_proxy = client.get("/healthz", headers=wanted, extra_environ={"REMOTE_ADDR": PROXY})
    assert from_proxy.headers["X-Request-Id"] == "proxy-chose-this-0001"
    stranger = client.get("/healthz", headers=wanted, extra_environ={"REMOTE_ADDR": "192.0.2.1"})
    assert stranger.headers["X-Request-Id"] != "proxy-chose-this-0001"
    assert len(stranger.headers["X-Request-Id"]) == 32


def test_https_behind_a_trusted_proxy_turns_on_hsts_and_the_origin_check(client, dbsession):
    accounts.create_user(dbsession, "ed", PASSWORD, "editor")
    env = {"REMOTE_ADDR": PROXY}
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = client.get("/login", extra_environ=env, headers=headers)
    assert "Strict-Transport-Security" in page.headers
    form = {"username": "ed", "password": PASSWORD, "csrf_token": csrf_of(page), "next": ""}
    evil = {**headers, "Origin": "https://evil.example"}
    client.post("/login", form, extra_environ=env, headers=evil, status=400)
    # The same header from a stranger is ignored: plain http, no HSTS.
    stranger = client.get("/login", extra_environ={"REMOTE_ADDR": "192.0.2.1"}, headers=headers)
    assert "Strict-Transport-Security" not in stranger.headers
