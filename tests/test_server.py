"""pybackend's waitress runner: keep-alive after a 304, graceful stop on SIGTERM (OPS-1)."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from pybackend.server import make_server


def tiny_app(environ, start_response):
    if environ["PATH_INFO"] == "/304":
        start_response("304 Not Modified", [("ETag", '"x"')])
        return [b""]
    body = b"hello"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [body]


@pytest.fixture
def tiny_server():
    server = make_server(tiny_app, listen="127.0.0.1:0", threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(timeout=5)


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
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)

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
