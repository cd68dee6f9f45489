"""pybackend's waitress runner: keep-alive after a 304, graceful stop on SIGTERM (OPS-1)."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from waitress import wasyncore

from pybackend.server import make_server

RELEASE = threading.Event()  # /wait blocks its worker thread until the test sets it


def tiny_app(environ, start_response):
    if environ["PATH_INFO"] == "/wait":
        RELEASE.wait(timeout=30)
    if environ["PATH_INFO"] == "/304":
        start_response("304 Not Modified", [("ETag", '"x"')])
        return [b""]
    body = b"hello"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [body]


@pytest.fixture
def tiny_server():
    server = make_server(tiny_app, listen="127.0.0.1:0", threads=2)
    stop = threading.Event()

    def loop():
        # Short rounds, so the loop ends before the sockets close under its select().
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        stop.set()
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)


def test_a_304_keeps_the_connection_open(tiny_server):
    connection = http.client.HTTPConnection("127.0.0.1", tiny_server, timeout=5)
    connection.request("GET", "/304")
    first = connection.getresponse()
    first.read()
    assert first.status == 304
    assert first.getheader("Connection") is None
    sock = connection.sock
    assert sock is not None  # http.client keeps the socket unless the server closes

    connection.request("GET", "/")
    second = connection.getresponse()
    assert (second.status, second.read()) == (200, b"hello")
    assert connection.sock is sock  # the same TCP connection answered both
    connection.close()


def test_healthz_answers_while_every_worker_thread_is_busy(tiny_server):
    """The probe has a thread of its own: two requests hold both workers, a third queues."""
    RELEASE.clear()
    blocked = []
    for _ in range(3):
        connection = http.client.HTTPConnection("127.0.0.1", tiny_server, timeout=10)
        connection.request("GET", "/wait")
        blocked.append(connection)
    try:
        probe = http.client.HTTPConnection("127.0.0.1", tiny_server, timeout=5)
        probe.request("GET", "/healthz")
        response = probe.getresponse()
        assert (response.status, response.read()) == (200, b"hello")
        assert not RELEASE.is_set()  # the workers were still busy when it answered
        queued = http.client.HTTPConnection("127.0.0.1", tiny_server, timeout=1)
        queued.request("GET", "/readyz")  # not a probe of the reserved thread: it queues
        with pytest.raises(TimeoutError):
            queued.getresponse()
    finally:
        RELEASE.set()
    for connection in blocked:
        assert connection.getresponse().status == 200
        connection.close()


def test_a_client_that_asks_to_close_still_gets_closed(tiny_server):
    connection = http.client.HTTPConnection("127.0.0.1", tiny_server, timeout=5)
    connection.request("GET", "/304", headers={"Connection": "close"})
    response = connection.getresponse()
    response.read()
    assert response.status == 304
    assert response.getheader("Connection") == "close"
    assert connection.sock is None


SLOW_SERVER = textwrap.dedent(
    """
    import sys, time
    from pybackend.server import serve

    def app(environ, start_response):
        time.sleep(1.0)
        with open(sys.argv[2], "w") as done:
            done.write("finished")
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"done"]

    serve(app, listen="127.0.0.1:" + sys.argv[1], threads=2)
    """
)


ROOT = Path(__file__).resolve().parent.parent


def wait_for_port(process, port, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sigterm_lets_the_request_in_progress_finish_and_exits_0(tmp_path):
    port = free_port()
    marker = tmp_path / "finished"
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_SERVER, str(port), str(marker)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(process, port)

        answer = {}

        def request():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/")
            response = connection.getresponse()
            answer["status"], answer["body"] = response.status, response.read()

        client = threading.Thread(target=request)
        client.start()
        time.sleep(0.3)  # the request is in the app now
        process.send_signal(signal.SIGTERM)
        client.join(timeout=15)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert marker.read_text() == "finished"
    assert answer == {"status": 200, "body": b"done"}
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_production_ini_served_for_real(tmp_path):
    """pserve production.ini (CFG-2, OPS-1): no banner, security headers, keep-alive after a
    304, and SIGTERM ends it with status 0."""
    port = free_port()
    ini = tmp_path / "production.ini"
    original = (ROOT / "production.ini").read_text()
    ini.write_text(original.replace("listen = 127.0.0.1:6543", f"listen = 127.0.0.1:{port}"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite",
        "PYBACKEND_SECRET": "p" * 48,
    }
    bin_dir = os.path.dirname(sys.executable)
    subprocess.run(
        [os.path.join(bin_dir, "initialize_pybackend_db"), str(ini)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    process = subprocess.Popen(
        [os.path.join(bin_dir, "pserve"), str(ini)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(process, port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/topics/django", headers={"Host": "localhost"})
        page = connection.getresponse()
        page.read()
        assert page.status == 200
        assert page.getheader("Server") is None  # ident is empty
        assert page.getheader("X-Content-Type-Options") == "nosniff"
        assert "default-src 'none'" in page.getheader("Content-Security-Policy")
        sock = connection.sock
        connection.request(
            "GET",
            "/topics/django",
            headers={"Host": "localhost", "If-None-Match": page.getheader("ETag")},
        )
        revalidated = connection.getresponse()
        revalidated.read()
        assert revalidated.status == 304
        connection.request("GET", "/healthz", headers={"Host": "localhost"})
        health = connection.getresponse()
        health.read()
        assert health.status == 200 and connection.sock is sock  # one connection for all
        connection.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # The access lines, written by the background thread, are all there after SIGTERM.
    output = process.stdout.read().decode()
    access = [json.loads(line) for line in output.splitlines() if '"pybackend.access"' in line]
    assert [(a["path"], a["status"]) for a in access if a["path"] != "/healthz"] == [
        ("/topics/django", 200),
        ("/topics/django", 304),
    ]
