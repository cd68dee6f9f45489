"""python -m bench.writer: an editor saving one topic through the edit form, once a second.

Started by the edit_load scenario with a logged-in session (its cookies in a JSON file).
Each cycle: GET the edit form, take every field a browser would submit (the hidden
csrf_token and version included), change the Indonesian body, POST it with the Save
button, follow the 303. A save that is not answered 303 is an error. A new cycle starts
every ``--interval`` seconds (at once when a cycle took longer). SIGTERM ends it after
the request in progress; the saves are written to ``--out`` as JSON.

Standard library only (and bench.client), so it starts at once and imports none of the app.
"""

import argparse
import json
import re
import signal
import sys
import threading
import time

from .client import Client, find_form

FORM_ID = "item-form"
# The line the writer adds to the body, replaced on every save so the body does not grow.
MARK = re.compile(r"\n*Suntingan bench nomor \d+\.[^\n]*$")


def edited_body(body, number):
    return MARK.sub("", body).rstrip() + f"\n\nSuntingan bench nomor {number}."


def percentile(values, percent):
    """The nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


def summarize(saves, elapsed_s):
    """Counts and latencies of the saves (errors: anything but a 303, or no answer)."""
    interrupted = [s for s in saves if s.get("interrupted")]
    saves = [s for s in saves if not s.get("interrupted")]
    ok = [s for s in saves if s.get("status") == 303]
    post_ms = [s["post_ms"] for s in ok]
    cycle_ms = [s["cycle_ms"] for s in saves if s.get("cycle_ms") is not None]
    form_ms = [s["form_ms"] for s in saves + interrupted if s.get("form_ms") is not None]
    return {
        "saves": len(saves),
        "errors": len(saves) - len(ok),
        "interrupted": len(interrupted),
        "statuses": sorted({str(s.get("status")) for s in saves}),
        "save_p50_ms": percentile(post_ms, 50),
        "save_p99_ms": percentile(post_ms, 99),
        "save_max_ms": max(post_ms, default=None),
        "cycle_p50_ms": percentile(cycle_ms, 50),
        "form_p50_ms": percentile(form_ms, 50),
        "form_bytes": max((s.get("form_bytes", 0) for s in saves + interrupted), default=None),
        "elapsed_s": round(elapsed_s, 2),
        "saves_per_s": round(len(saves) / elapsed_s, 3) if elapsed_s else None,
    }


def save_once(client, edit_path, number, stop):
    """One cycle; returns what happened (status None and an error when it broke).

    Asked to stop while the form loads, it does not save: the reads it ran beside are over.
    """
    record = {"number": number}
    started = time.monotonic()
    page = client.get(edit_path)
    record["form_ms"] = round(page.ms, 1)
    record["form_bytes"] = len(page.body)
    form = find_form(page.text, form_id=FORM_ID) if page.status == 200 else None
    if form is None:
        record.update(status=None, error=f"GET {edit_path}: HTTP {page.status}, no edit form")
        return record
    if stop.is_set():
        record.update(status="not saved", interrupted=True)
        return record
    fields = form.replaced(
        body=edited_body(form.get("body", ""), number),
        comment=f"bench {number}",
        action="save",
    )
    answer = client.post(form.action or edit_path, fields)
    record["status"] = answer.status
    record["post_ms"] = round(answer.ms, 1)
    if answer.status == 303 and answer.location_path:
        followed = client.get(answer.location_path)
        record["follow_status"] = followed.status
        record["follow_ms"] = round(followed.ms, 1)
    elif answer.status != 303:
        record["error"] = f"POST answered {answer.status}"
    record["cycle_ms"] = round((time.monotonic() - started) * 1000, 1)
    return record


def run(client, edit_path, interval, stop):
    saves = []
    started = time.monotonic()
    number = 0
    while not stop.is_set():
        number += 1
        cycle_started = time.monotonic()
        try:
            saves.append(save_once(client, edit_path, number, stop))
        except OSError as error:  # refused, reset, timed out: counted, then tried again
            client.close()
            saves.append({"number": number, "status": None, "error": repr(error)})
        # Short sleeps, not stop.wait(): the SIGTERM handler sets ``stop`` in this thread.
        while not stop.is_set() and time.monotonic() - cycle_started < interval:
            time.sleep(0.05)
    return saves, time.monotonic() - started


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.writer", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--edit-path", required=True, help="e.g. /admin/topics/15")
    parser.add_argument("--cookies", required=True, help="JSON file: the session's cookies")
    parser.add_argument("--out", required=True, help="JSON file for the saves")
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    with open(args.cookies) as f:
        client = Client(args.port, cookies=json.load(f))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("writer: started", flush=True)
    saves, elapsed = run(client, args.edit_path, args.interval, stop)
    client.close()
    with open(args.out, "w") as f:
        json.dump({"summary": summarize(saves, elapsed), "saves": saves}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
