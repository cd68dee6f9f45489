"""A bound on every wait for the database that the server alone cannot enforce.

PostgreSQL's ``statement_timeout`` is counted by the server: a server that stopped
answering (frozen by SIGSTOP, a network that drops everything, a socket that accepts and
never replies) would hold the worker thread for as long as TCP keeps the connection,
minutes. Every call into the driver (a statement, the pool's ping, COMMIT, ROLLBACK) is
watched here; one still running ``limit`` seconds after it started has its connection
cut (PostgreSQL: the socket is shut down; SQLite: the statement is interrupted), so the
driver raises an OperationalError and the request gets the 503 of views/errors.py.
"""

import contextlib
import os
import socket
import threading
import time

# The dialect methods that wait on the server, and where their DBAPI connection is.
_WATCHED = {
    "do_execute": lambda args: args[0].connection,
    "do_executemany": lambda args: args[0].connection,
    "do_execute_no_params": lambda args: args[0].connection,
    "do_ping": lambda args: args[0],
    "do_commit": lambda args: args[0],
    "do_rollback": lambda args: args[0],
}


def cut(dbapi_connection):
    """Make a call blocked on this connection fail now, from another thread."""
    interrupt = getattr(dbapi_connection, "interrupt", None)
    if interrupt is not None:  # sqlite3
        interrupt()
        return
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg 3
    fd = getattr(pgconn, "socket", -1) if pgconn is not None else -1
    if fd < 0:
        return
    # A duplicate of the descriptor: shutting it down ends the connection for the
    # driver too (its wait wakes up on EOF), and closing the duplicate leaves the
    # driver's descriptor for it to close.
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    def __init__(self, limit):
        self.limit = limit
        self._running = {}  # token -> (deadline, DBAPI connection)
        self._lock = threading.Lock()
        self._thread = None
        self.cuts = 0

    @contextlib.contextmanager
    def watch(self, dbapi_connection):
        token = object()
        with self._lock:
            self._running[token] = (time.monotonic() + self.limit, dbapi_connection)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pybackend-db-watchdog", daemon=True
                )
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._running.pop(token, None)

    def _run(self):
        step = min(0.5, self.limit / 4)
        while True:
            time.sleep(step)
            now = time.monotonic()
            with self._lock:
                if not self._running:
                    self._thread = None  # started again by the next call
                    return
                late = [(t, c) for t, (deadline, c) in self._running.items() if deadline <= now]
                for token, _connection in late:
                    del self._running[token]
            for _token, connection in late:
                self.cuts += 1
                with contextlib.suppress(Exception):
                    cut(connection)


def install(engine, limit):
    """Watch every wait of ``engine``'s dialect on the server for at most ``limit`` seconds."""
    dialect = engine.dialect
    watchdog = Watchdog(limit)
    dialect.pybackend_watchdog = watchdog
    for name, connection_of in _WATCHED.items():
        method = getattr(dialect, name)

        def watched(*args, _method=method, _connection_of=connection_of, **kwargs):
            with watchdog.watch(_connection_of(args)):
                return _method(*args, **kwargs)

        setattr(dialect, name, watched)
    # The driver's COMMIT, watched (tests put a failing one here).
    dialect.pybackend_commit = dialect.do_commit
    watched_rollback = dialect.do_rollback

    def do_commit(dbapi_connection):
        # A COMMIT the database refused (disk full, the watchdog's cut) leaves the
        # transaction open on SQLite, and SQLAlchemy returns the connection to the pool as
        # if it had ended: the next request would run inside it, seeing the failed
        # save's writes. Roll it back here; if that fails too, the connection is dead.
        try:
            dialect.pybackend_commit(dbapi_connection)
        except Exception:
            with contextlib.suppress(Exception):
                watched_rollback(dbapi_connection)
            raise

    dialect.do_commit = do_commit
    return watchdog
