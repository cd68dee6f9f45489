"""Log lines leave the request threads through a queue and are all written at stop."""

import json
import logging
import threading

from pythonjsonlogger.json import JsonFormatter

from pybackend.telemetry.logqueue import BackgroundLogging


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
        self.lines = []
        self.threads = set()

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))
        self.threads.add(threading.current_thread().name)


def test_lines_are_written_by_another_thread_in_order_and_whole():
    root = logging.getLogger("test-logqueue")
    root.propagate = False
    collect = Collect()
    root.addHandler(collect)
    child = logging.getLogger("test-logqueue.access")
    child.setLevel(logging.INFO)
    background = BackgroundLogging(root).start()
    try:
        assert collect not in root.handlers  # behind the queue now
        names = {"n": 0}
        for i in range(200):
            child.info("line %(n)s", names, extra={"n": i})
            names["n"] = -1  # the arguments change after the call: the line keeps its own
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            child.exception("it broke")
    finally:
        background.stop()
    assert collect in root.handlers  # given back: what follows is written at once
    assert [line["n"] for line in collect.lines[:200]] == list(range(200))
    assert collect.lines[0]["message"] == "line 0"
    broken = collect.lines[200]
    assert broken["message"] == "it broke" and "ZeroDivisionError" in broken["exc_info"]
    assert threading.current_thread().name not in collect.threads
    root.removeHandler(collect)


def test_start_without_handlers_or_twice_changes_nothing():
    lonely = logging.getLogger("test-logqueue-lonely")
    assert BackgroundLogging(lonely).start().listener is None
    collect = Collect()
    lonely.addHandler(collect)
    background = BackgroundLogging(lonely).start()
    again = BackgroundLogging(lonely).start()  # the handoff is the only handler now
    assert again.listener is None and len(lonely.handlers) == 1
    background.stop()
    background.stop()
    assert lonely.handlers == [collect]
    lonely.removeHandler(collect)
