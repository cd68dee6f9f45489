"""waitress as pybackend runs it: ``use = egg:pybackend#waitress`` in ``[server:main]``.

The same server and settings as ``egg:waitress#main``, with two changes:

- A response that has no body by definition (1xx, 204, 304) keeps the HTTP/1.1
  connection open. waitress 3.0.2 closes it, because such a response carries no
  ``Content-Length``; every revalidation (If-None-Match → 304) then cost a new TCP
  connection, which halved the req/s of our cheapest answer. The message ends at its
  headers (RFC 9112 §6.3), so keeping the connection is safe.
- SIGTERM stops the server gracefully (OPS-1): no new requests are taken, the requests
  being handled run to their end (their transactions commit or roll back), and the process
  exits with status 0. SIGINT does the same, as it does with plain waitress.

One setting of its own: ``queue_warning_interval`` (seconds, default 10; 0 keeps every
line) bounds waitress's "Task queue depth" warnings to one line per interval with the
count of those held back.
"""

import logging
import signal
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import WSGITask

from .telemetry.logfilters import limit_queue_warnings

log = logging.getLogger(__name__)


class KeepAliveTask(WSGITask):
    """A WSGI task that does not close the connection after a bodiless response."""

    _bodiless_keep_alive = False

    def build_response_header(self):
        keep = (
            not self.has_body
            and self.version == "1.1"
            and self.request.headers.get("CONNECTION", "").lower() != "close"
        )
        self._bodiless_keep_alive = keep
        try:
            return super().build_response_header()
        finally:
            self._bodiless_keep_alive = False

    def set_close_on_finish(self):
        # While the header of a bodiless HTTP/1.1 response is built, waitress asks to close
        # only because there is no Content-Length: a 304 needs none.
        if self._bodiless_keep_alive:
            return
        super().set_close_on_finish()


class KeepAliveChannel(HTTPChannel):
    task_class = KeepAliveTask


def _listeners(server):
    """The BaseWSGIServer instances behind ``server`` (one, or several for many ``listen``)."""
    if isinstance(server, BaseWSGIServer):
        return [server]
    return [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]


def make_server(app, **settings):
    """A waitress server for ``app`` with pybackend's channel; ``settings`` as waitress's."""
    server = create_server(app, **settings)
    for listener in _listeners(server):
        listener.channel_class = KeepAliveChannel
    return server


def _stop(signum, frame):
    log.info("signal %s: finishing the requests in progress, then stopping", signum)
    # waitress's run() catches SystemExit and waits for its worker threads to finish.
    raise SystemExit(0)


def _flush(server, timeout):
    """After the workers stopped: send the answers they wrote, for at most ``timeout`` s."""
    listeners = _listeners(server)
    if not listeners:
        return
    for listener in listeners:
        listener.accepting = False  # readable() is False: no new connection is taken
    channels = listeners[0]._map
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(
        getattr(channel, "total_outbufs_len", 0) for channel in list(channels.values())
    ):
        wasyncore.loop(timeout=0.05, map=channels, count=1)


def serve(app, queue_warning_interval=10, **settings):
    """Run waitress; ``queue_warning_interval``: at most one queue-depth warning per so many s."""
    logging.basicConfig()
    limit_queue_warnings(float(queue_warning_interval))
    server = make_server(app, **settings)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.print_listen("Serving on http://{}:{}")
        server.run()  # returns after SIGTERM/SIGINT, once the worker threads have stopped
        _flush(server, timeout=5)
    finally:
        signal.signal(signal.SIGTERM, previous)
    log.info("stopped")
    return 0


def serve_paste(app, global_conf, **settings):
    """The ``paste.server_runner`` entry point (pserve)."""
    return serve(app, **settings)
