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
"""

import logging
import signal
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import WSGITask

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


def serve(app, **settings):
    logging.basicConfig()
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


def with_http_port(settings, global_conf):
    """``pserve INI http_port=N``: the one ``listen`` address, on port N.

    One ini serves one process per port (deploy/pybackend@.service). The port is taken
    from pserve's variables here, not from ``%(http_port)s`` in the ini: a default for
    that in ``[DEFAULT]`` would win over the command line, and without one a plain
    ``pserve production.ini`` stops with InterpolationMissingOptionError.
    """
    port = (global_conf or {}).get("http_port")
    if port is None:
        return settings
    addresses = settings.get("listen", "").split()
    if not str(port).isdigit() or not 0 < int(port) < 65536 or len(addresses) != 1:
        raise SystemExit(f"pybackend: http_port={port} needs a port number and one listen address")
    host = addresses[0].rpartition(":")[0] or "127.0.0.1"
    return {**settings, "listen": f"{host}:{int(port)}"}


def serve_paste(app, global_conf, **settings):
    """The ``paste.server_runner`` entry point (pserve)."""
    return serve(app, **with_http_port(settings, global_conf))
