"""Logging filters that keep a flood of one warning down to a line now and then."""

import logging
import threading
import time


class RateLimitFilter(logging.Filter):
    """Let one record through per ``interval`` seconds; the next one says how many were held.

    waitress warns "Task queue depth is N" for every request queued behind busy threads:
    one load run wrote 17.7 MB of them. One line per interval, with the count of the
    others, says the same.
    """

    def __init__(self, interval=10.0, clock=time.monotonic):
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._last = None
        self._held = 0
        self._lock = threading.Lock()

    def filter(self, record):
        now = self.clock()
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                self._held += 1
                return False
            held, self._held = self._held, 0
            elapsed = None if self._last is None else now - self._last
            self._last = now
        if held:
            record.msg = f"{record.getMessage()} ({held} more like it in the last {elapsed:.0f} s)"
            record.args = ()
        return True


def limit_queue_warnings(interval):
    """Rate-limit waitress's queue-depth warnings (logger ``waitress.queue``)."""
    logger = logging.getLogger("waitress.queue")
    for old in [f for f in logger.filters if isinstance(f, RateLimitFilter)]:
        logger.removeFilter(old)
    if interval > 0:
        logger.addFilter(RateLimitFilter(interval))
