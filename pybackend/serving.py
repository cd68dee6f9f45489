"""The pieces of waitress that pybackend's runner (``pybackend/server.py``) replaces.

- ``KeepAliveTask``: a bodiless response (304) keeps the HTTP/1.1 connection open.
- ``StrictParser``: a bare LF in the headers is a 400, and a chunk announced larger than
  ``max_request_body_size`` a 413, at once; waitress would wait for a CRLF CRLF or for the
  chunk's bytes that never come, holding the connection until ``channel_timeout``.
- ``KeepAliveChannel``: both of the above, and the time its current request began, for
  ``sweep_slow_requests``.
- ``ProbeDispatcher``: waitress's thread pool, plus one thread that runs only
  ``GET``/``HEAD /healthz``. When every worker waits on a database that hangs, the probe
  still answers at once (it never touches the database); ``/readyz``, which does, queues
  with the other requests, so that it says what a real request would meet.
"""

import collections
import logging
import re
import threading
import time

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.task import ThreadedTaskDispatcher, WSGITask
from waitress.utilities import BadRequest, RequestEntityTooLarge

log = logging.getLogger(__name__)

PROBE_PATHS = frozenset(("/healthz",))
_BARE_LF = re.compile(rb"(?<!\r)\n")


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


class StrictParser(HTTPRequestParser):
    """waitress's request parser, answering two malformed inputs at once."""

    def _fail(self, error):
        self.parse_header(b"GET / HTTP/1.0\r\n")  # what waitress does for its own 431
        self.error = error
        self.completed = True

    def received(self, data):
        if self.completed:
            return 0
        if self.body_rcv is None:
            # Only the new bytes are searched (the lookbehind still sees the byte before),
            # so headers sent a byte at a time cost no more than waitress's own search.
            head = self.header_plus + data
            seen = len(self.header_plus)
            end = head.find(b"\r\n\r\n", max(seen - 3, 0))
            if _BARE_LF.search(head, seen, end if end >= 0 else len(head)):
                self._fail(BadRequest("bare LF in the request headers"))
                return len(data)
        consumed = super().received(data)
        receiver = self.body_rcv
        remainder = getattr(receiver, "chunk_remainder", 0)
        if not self.completed and remainder >= self.adj.max_request_body_size:
            self._fail(
                RequestEntityTooLarge(f"exceeds max_body of {self.adj.max_request_body_size}")
            )
        return consumed


class KeepAliveChannel(HTTPChannel):
    task_class = KeepAliveTask
    parser_class = StrictParser
    request_started = 0.0  # time.time() of the first byte of the request being read

    def received(self, data):
        if self.request is None and data:
            self.request_started = time.time()
        return super().received(data)


def sweep_slow_requests(channels, now, header_timeout, idle_timeout):
    """Close the connections whose request is being read too slowly (slowloris).

    A request is too slow when its headers are not complete ``header_timeout`` s after its
    first byte, or when nothing came for ``idle_timeout`` s before it was complete.
    Connections between two requests are left to waitress's ``channel_timeout``.
    """
    for channel in channels:
        request = channel.request
        if request is None or channel.requests or request.completed:
            continue
        slow_headers = (
            not request.headers_finished and now - channel.request_started > header_timeout
        )
        if slow_headers or now - channel.last_activity > idle_timeout:
            log.info(
                "closing a connection from %s: request %s too slowly",
                channel.addr[0] if channel.addr else "?",
                "headers sent" if slow_headers else "sent nothing for a while",
            )
            channel.handle_close()


class ProbeDispatcher(ThreadedTaskDispatcher):
    """waitress's dispatcher with one more thread, reserved for ``PROBE_PATHS``."""

    def __init__(self, paths=PROBE_PATHS):
        super().__init__()
        self.paths = paths
        self.probes = collections.deque()
        self.probe_cv = threading.Condition()
        threading.Thread(target=self._run_probes, name="waitress-probe", daemon=True).start()

    def is_probe(self, task):
        requests = getattr(task, "requests", None)
        if not requests:
            return False
        request = requests[0]
        return (
            request.error is None
            and request.command in ("GET", "HEAD")
            and request.path in self.paths
        )

    def add_task(self, task):
        if self.is_probe(task):
            with self.probe_cv:
                self.probes.append(task)
                self.probe_cv.notify()
            return
        super().add_task(task)

    def _run_probes(self):
        while True:
            with self.probe_cv:
                while not self.probes:
                    self.probe_cv.wait()
                task = self.probes.popleft()
            try:
                task.service()
            except BaseException:
                log.exception("Exception when servicing %r", task)
