"""waitress as pybackend runs it: ``use = egg:pybackend#waitress`` in ``[server:main]``.

The same server and settings as ``egg:waitress#main``, with these changes (README,
"Running in production", says why each matters):

- A response that has no body by definition (1xx, 204, 304) keeps the HTTP/1.1
  connection open. waitress 3.0.2 closes it, because such a response carries no
  ``Content-Length``; every revalidation (If-None-Match → 304) then cost a new TCP
  connection, which halved the req/s of our cheapest answer. The message ends at its
  headers (RFC 9112 §6.3), so keeping the connection is safe.
- ``GET /healthz`` runs on a thread of its own (``pybackend/serving.py``), so the probe
  answers while every worker thread waits on the database.
- Slow and broken clients are cut off: a request whose headers are not all in
  ``request_header_timeout`` seconds after its first byte, or that sends nothing for
  ``request_idle_timeout`` seconds in the middle, is closed; a bare LF in the headers is a
  400 and a chunk larger than ``max_request_body_size`` a 413 at once, instead of waiting.
- SIGTERM (or SIGINT) stops the server gracefully (OPS-1): the listening socket is closed
  at once; the requests in progress and those already received run to their end, for at
  most ``shutdown_grace`` seconds (default 30); then the process exits with status 0. If
  requests are still running at the end of the grace period (or a second signal comes),
  it exits at once with status 3: each of those requests' transactions either committed
  or is rolled back by the database when the connection drops, never half of one.

One setting of its own: ``queue_warning_interval`` (seconds, default 10; 0 keeps every
line) bounds waitress's "Task queue depth" warnings to one line per interval with the
count of those held back.
"""

import logging
import os
import signal
import time

from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from .serving import KeepAliveChannel, ProbeDispatcher, sweep_slow_requests
from .telemetry.logfilters import limit_queue_warnings
from .telemetry.logqueue import BackgroundLogging

log = logging.getLogger(__name__)

# Our own [server:main] settings, taken out before waitress sees the rest.
DEFAULTS = {
    "shutdown_grace": 30.0,
    "request_header_timeout": 10.0,
    "request_idle_timeout": 5.0,
    # waitress's "Task queue depth" warnings: at most one line per so many seconds.
    "queue_warning_interval": 10.0,
}
EXIT_CUT = 3  # requests were still running when the grace period ended
SWEEP_EVERY = 1.0  # seconds between two looks for slow requests


def _listeners(server):
    """The BaseWSGIServer instances behind ``server`` (one, or several for many ``listen``)."""
    if isinstance(server, BaseWSGIServer):
        return [server]
    return [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]


def split_settings(settings):
    """(our settings as floats, waitress's settings)."""
    ours = {key: float(settings.pop(key, default)) for key, default in DEFAULTS.items()}
    return ours, settings


def make_server(app, **settings):
    """A waitress server for ``app`` with pybackend's channel, parser and dispatcher;
    ``settings`` as waitress's (plus ours, see DEFAULTS: they are ignored here)."""
    _, settings = split_settings(dict(settings))
    threads = int(settings.get("threads", 4))
    dispatcher = ProbeDispatcher()
    dispatcher.set_thread_count(threads)
    server = create_server(app, _dispatcher=dispatcher, **settings)
    for listener in _listeners(server):
        listener.channel_class = KeepAliveChannel
    return server


def _map(server):
    """The socket map of a server of one listener (``_map``) or of several (``map``)."""
    return server.map if hasattr(server, "map") else server._map


def _channels(server):
    return [c for c in list(_map(server).values()) if isinstance(c, KeepAliveChannel)]


def _busy(channel):
    """The channel has a request received and not yet answered, or an answer to send."""
    return bool(channel.requests) or bool(channel.total_outbufs_len)


class Stopper:
    """Counts SIGTERM/SIGINT; the main loop looks at it between two rounds."""

    def __init__(self):
        self.signals = 0

    def __call__(self, signum, frame):
        self.signals += 1
        log.info("signal %s: finishing the requests received, then stopping", signum)


def _loop(server, stopper, ours, until):
    """Run waitress's loop, sweeping slow requests each second, until ``until()``."""
    adj = server.adj
    next_sweep = 0.0
    while not until():
        wasyncore.loop(
            timeout=min(adj.asyncore_loop_timeout, SWEEP_EVERY),
            map=_map(server),
            use_poll=adj.asyncore_use_poll,
            count=1,
        )
        now = time.time()
        if now >= next_sweep:
            next_sweep = now + SWEEP_EVERY
            sweep_slow_requests(
                _channels(server),
                now,
                header_timeout=ours["request_header_timeout"],
                idle_timeout=ours["request_idle_timeout"],
            )


def drain(server, stopper, ours):
    """After the stop signal: no new connection; answer what was received. True if all
    were answered within the grace period."""
    for listener in _listeners(server):
        listener.accepting = False
        listener.close()  # new connections are refused; a proxy tries its next upstream
    deadline = time.monotonic() + ours["shutdown_grace"]
    signals_at_start = stopper.signals

    def done():
        for channel in _channels(server):
            if not _busy(channel) and channel.request is None:
                channel.handle_close()  # idle keep-alive connection: nothing to finish
        return (
            not _channels(server)
            or time.monotonic() >= deadline
            or stopper.signals > signals_at_start
        )

    _loop(server, stopper, ours, done)
    left = [channel for channel in _channels(server) if _busy(channel)]
    if left:
        paths = ", ".join(
            f"{r.command} {r.path}" for channel in left for r in list(channel.requests)[:1]
        )
        log.error(
            "%d request(s) still running after the %s s grace period: stopping now; each "
            "one's transaction committed or is rolled back as a whole (%s)",
            len(left),
            ours["shutdown_grace"],
            paths,
        )
    return not left


def serve(app, **settings):
    """Serve until SIGTERM/SIGINT; return 0 once everything received was answered.

    Past the grace period the process ends here with status 3 (``os._exit``: the threads
    still inside a request are not waited for, and their database connections close).
    """
    logging.basicConfig()
    ours, settings = split_settings(dict(settings))
    limit_queue_warnings(ours["queue_warning_interval"])
    server = make_server(app, **settings)
    stopper = Stopper()
    previous = {sig: signal.signal(sig, stopper) for sig in (signal.SIGTERM, signal.SIGINT)}
    # Worker threads hand their log lines to a queue; one thread writes them.
    background = BackgroundLogging().start()
    try:
        server.print_listen("Serving on http://{}:{}")
        _loop(server, stopper, ours, lambda: stopper.signals > 0)
        finished = drain(server, stopper, ours)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        background.stop()  # the lines still queued; later ones are written at once
    if not finished:
        logging.shutdown()
        os._exit(EXIT_CUT)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
    wasyncore.close_all(_map(server))
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
