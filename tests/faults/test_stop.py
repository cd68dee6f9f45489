"""SIGTERM (OPS-1): the request in flight and those queued are answered, then exit 0;
past the grace period the process ends with status 3 and every request is all or nothing."""

import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests

from .harness import HOST, ROOT, next_port

# One worker thread, so that the quick requests queue behind the slow one. Each request
# writes two rows in one transaction: row 1, the work (12 s for /slow), row 2, commit.
APP = textwrap.dedent(
    """
    import sqlite3, sys, time
    from pybackend.server import serve

    PATH = sys.argv[2]

    def app(environ, start_response):
        n = environ["QUERY_STRING"]
        db = sqlite3.connect(PATH, timeout=30, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO parts VALUES (?, 1)", (n,))
        if environ["PATH_INFO"] == "/slow":
            with open(PATH + ".started", "w"):
                pass
            time.sleep(12)
        db.execute("INSERT INTO parts VALUES (?, 2)", (n,))
        db.execute("COMMIT")
        db.close()
        body = ("done " + n).encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    with sqlite3.connect(PATH) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS parts (n TEXT, part INT)")
    serve(app, listen="127.0.0.1:" + sys.argv[1], threads=1, shutdown_grace=sys.argv[3])
    """
)


def start(tmp_path, grace):
    port = next_port()
    db = tmp_path / "parts.sqlite"
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - the process owns it
    process = subprocess.Popen(
        [sys.executable, "-c", APP, str(port), str(db), str(grace)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    return process, port, db


class Client(threading.Thread):
    def __init__(self, port, path, n):
        super().__init__(daemon=True)
        self.url, self.answer = f"http://{HOST}:{port}{path}?{n}", None

    def run(self):
        try:
            response = requests.post(self.url, timeout=40)
            self.answer = (response.status_code, response.text)
        except requests.RequestException as e:
            self.answer = ("no answer", type(e).__name__)


def wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def parts(db):
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT n, count(*) FROM parts GROUP BY n").fetchall()
    return dict(rows)


def in_flight_and_queued(process, port, db):
    slow = Client(port, "/slow", "slow")
    slow.start()
    wait_for(lambda: (db.parent / (db.name + ".started")).exists())
    queued = [Client(port, "/quick", f"q{i}") for i in range(4)]
    for client in queued:
        client.start()
    time.sleep(0.5)  # their requests are read and queued behind the slow one
    return slow, queued


@pytest.fixture
def stopped_server(tmp_path):
    processes = []

    def make(grace):
        process, port, db = start(tmp_path, grace)
        processes.append(process)
        return process, port, db

    yield make
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_answers_the_request_in_flight_and_the_queued_ones_then_exits_0(stopped_server):
    process, port, db = stopped_server(30)
    slow, queued = in_flight_and_queued(process, port, db)
    process.terminate()
    time.sleep(1.5)
    with pytest.raises(OSError):  # no new connection is taken
        socket.create_connection((HOST, port), timeout=2).close()
    assert process.wait(timeout=40) == 0
    for client in [slow, *queued]:
        client.join(timeout=5)
    assert slow.answer == (200, "done slow")
    assert [c.answer for c in queued] == [(200, f"done q{i}") for i in range(4)]
    assert parts(db) == {"slow": 2, **{f"q{i}": 2 for i in range(4)}}


def test_a_grace_shorter_than_the_request_exits_3_with_nothing_half_written(stopped_server):
    process, port, db = stopped_server(2)
    slow, queued = in_flight_and_queued(process, port, db)
    started = time.monotonic()
    process.terminate()
    assert process.wait(timeout=20) == 3
    assert time.monotonic() - started < 6  # the grace period, not the 12 s request
    for client in [slow, *queued]:
        client.join(timeout=5)
        assert client.answer is not None and client.answer[0] != 500
    # Every request is all or nothing: the cut ones left no row, none left one of two.
    assert set(parts(db).values()) <= {2}
    assert "slow" not in parts(db)
