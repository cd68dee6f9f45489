"""Slow, many and broken clients against standalone waitress with production.ini's
settings: the site keeps answering, and every malformed request is answered or closed
within a few seconds."""

import contextlib
import socket
import threading
import time

import pytest
import requests

from .harness import HOST, raw_exchange, status_of

SLOWLORIS = 500


def open_slowloris(port, count):
    """``count`` connections that each sent the start of a request and no end."""
    sockets = []
    for i in range(count):
        sock = socket.create_connection((HOST, port), timeout=5)
        sock.sendall(b"GET /topics/django HTTP/1.1\r\nHost: localhost\r\nX-a: ")
        sockets.append(sock)
        if i % 50 == 49:
            time.sleep(0.05)
    return sockets


def trickle(sockets, stop, every=2.0):
    """One more header byte on each socket every ``every`` s (never the end of headers)."""
    while not stop.wait(every):
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.send(b"a")


def still_open(sockets):
    alive = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            alive += sock.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    return alive


def test_500_slowloris_sockets_do_not_shut_the_site_out(standalone):
    server = standalone
    sockets = open_slowloris(server.port, SLOWLORIS)
    stop = threading.Event()
    trickler = threading.Thread(target=trickle, args=(sockets, stop), daemon=True)
    trickler.start()
    try:
        answers = []
        for _ in range(6):
            for path in ("/healthz", "/topics/django"):
                response = requests.get(server.url + path, timeout=5)
                answers.append((path, response.status_code))
            time.sleep(1)
        assert answers == [("/healthz", 200), ("/topics/django", 200)] * 6
        # The request_header_timeout (10 s) closes them, although each keeps sending.
        deadline = time.monotonic() + 15
        while still_open(sockets) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert still_open(sockets) == 0
    finally:
        stop.set()
        trickler.join(timeout=5)
        for sock in sockets:
            sock.close()
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


HEAD = b"Host: localhost\r\n"
# (name, bytes sent, the status waitress must answer, or None: the connection is closed)
MALFORMED = [
    ("bare LF", b"GET /healthz HTTP/1.1\nHost: localhost\n\n", 400),
    ("bare LF inside CRLF headers", b"GET / HTTP/1.1\r\nHost: localhost\nX: y\r\n\r\n", 400),
    (
        "a chunk size of 20 hex digits",
        b"POST /login HTTP/1.1\r\n" + HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
        b"FFFFFFFFFFFFFFFFFFFF\r\nabc",
        413,
    ),
    (
        "a body shorter than Content-Length",
        b"POST /login HTTP/1.1\r\n" + HEAD + b"Content-Length: 100\r\n\r\nusername=x",
        None,
    ),
    ("incomplete headers", b"GET / HTTP/1.1\r\n" + HEAD + b"X-Half: ", None),
    ("no headers at all", b"GET / HTTP/1.1\r\n", None),
    (
        "header too large",
        b"GET / HTTP/1.1\r\n" + HEAD + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n",
        431,
    ),
    (
        "body too large",
        b"POST /login HTTP/1.1\r\n" + HEAD + b"Content-Length: 3000000\r\n\r\n" + b"a" * 1000,
        413,
    ),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", 400),
    (
        "invalid chunk size",
        b"POST / HTTP/1.1\r\n" + HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
    ),
    ("no method", b" / HTTP/1.1\r\n" + HEAD + b"\r\n", 400),
]


@pytest.mark.parametrize(("name", "data", "status"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_request_is_answered_or_closed_within_seconds(standalone, name, data, status):
    server = standalone
    received, seconds, closed = raw_exchange(server.port, data, timeout=15)
    assert seconds < 8, f"{name}: held for {seconds:.1f} s"
    if status is None:
        assert closed and status_of(received) in (None, 400, 408), received[:200]
    else:
        assert status_of(received) == status, received[:300]
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
