"""Progress lines on stderr, for runs long enough to need them."""

import contextlib
import re
import sys
import threading
import time

# pg_dump --verbose / pg_restore --verbose name each table as they reach its data.
_TABLE_LINE = re.compile(
    r'^pg_(?:dump|restore): (?:dumping contents of|processing data for) table "([^"]+)"'
)


def table_in(line):
    """The table a pg_dump/pg_restore --verbose line starts on, or None."""
    match = _TABLE_LINE.match(line)
    return match.group(1) if match else None


class Progress:
    """At most one line per ``interval`` seconds, none in the first: a short run prints none."""

    def __init__(self, label, quiet=False, stream=None, interval=1.0, clock=time.monotonic):
        self.label = label
        self.quiet = quiet
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.started = self.last = clock()
        self.what = "started"

    def elapsed(self):
        return self.clock() - self.started

    def update(self, what):
        self.what = what
        now = self.clock()
        if self.quiet or now - self.last < self.interval:
            return
        self.last = now
        stream = self.stream or sys.stderr
        print(f"{self.label}: {now - self.started:.0f} s, {what}", file=stream, flush=True)

    def pages(self, status, remaining, total):
        """sqlite3.Connection.backup's progress callback."""
        if total:
            self.update(f"{(total - remaining) * 100 // total} % of {total} pages")

    @contextlib.contextmanager
    def ticking(self):
        """While a tool works on one big table and says nothing, repeat the latest state."""
        if self.quiet:
            yield
            return
        done = threading.Event()

        def tick():
            while not done.wait(self.interval):
                self.update(self.what)

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()
