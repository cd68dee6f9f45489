"""Writes under faults: kill -9 while editors save, 1 000 saves racing for one version, and
a full disk. Every confirmed save survives, versions and revisions agree, nothing is
half-written, and a refused save gives the editor's text back."""

import collections
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .harness import Editor, environment
from .outages import assert_text_kept, item_id, save_after_recovery, saved_texts, typed

WRITERS = ("pyramid", "sqlalchemy", "celery")
RACERS = 1000


class Writer(threading.Thread):
    """Loads the form and saves a numbered body, again and again, until it fails."""

    def __init__(self, editor, item, slug, limit=300):
        super().__init__(daemon=True)
        self.editor, self.item, self.slug, self.limit = editor, item, slug, limit
        self.confirmed, self.tried, self.failure = [], [], None

    def run(self):
        for n in range(self.limit):
            try:
                fields = self.editor.edit_form(self.item)
                fields["body"] = f"Simpanan {self.slug} ke-{n}."
                self.tried.append(fields["body"])
                answer = self.editor.save(self.item, fields, timeout=15)
            except (requests.RequestException, AssertionError) as e:
                self.failure = e
                return
            if answer.status_code != 303:
                self.failure = answer.status_code
                return
            self.confirmed.append(fields["body"])


def test_kill_9_during_writes_loses_no_confirmed_save(site, serve):
    url, env = site
    server = serve(env)
    writers = [Writer(Editor(server.url).login(), item_id(url, slug), slug) for slug in WRITERS]
    for writer in writers:
        writer.start()
    deadline = threading.Event()
    while not deadline.wait(0.2):
        if all(len(w.confirmed) >= 3 for w in writers) or any(w.failure for w in writers):
            break
    server.signal(signal.SIGKILL)
    server.wait(timeout=10)
    for writer in writers:
        writer.join(timeout=30)
        assert not isinstance(writer.failure, int), writer.failure  # never a 500 before
        assert len(writer.confirmed) >= 3

    again = serve(env)  # the same database, after the crash
    for writer in writers:
        _, body, bodies = saved_texts(url, writer.item)
        assert set(writer.confirmed) <= set(bodies), writer.slug
        # The newest text is the last confirmed save, or the one cut by the kill.
        assert body in writer.tried[len(writer.confirmed) - 1 :], writer.slug
    assert requests.get(again.url + "/topics/pyramid", timeout=10).status_code == 200


def test_1000_racing_saves_of_one_version_one_wins_the_others_get_409(site, serve):
    url, env = site
    server = serve(env)
    editor = Editor(server.url).login()
    item = item_id(url, "requests")
    fields = typed(editor, item, "balapan")
    fields["body"] = "Teks balapan."  # short: 999 merge screens to render
    _, _, before = saved_texts(url, item)

    def save(n):
        answer = requests.post(
            f"{server.url}/admin/topics/{item}",
            data={**fields, "body": f"{fields['body']} {n}", "action": "save"},
            headers=editor.headers(),
            allow_redirects=False,
            timeout=60,
        )
        return answer.status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = collections.Counter(pool.map(save, range(RACERS)))
    assert statuses == {303: 1, 409: RACERS - 1}
    _, body, after = saved_texts(url, item)
    assert len(after) == len(before) + 1
    assert body.startswith(fields["body"] + " ")


@pytest.fixture
def small_disk(tmp_path, seeded_sqlite):
    """A tmpfs with the seeded site and a few MiB to spare (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the full-disk case needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    size = os.path.getsize(seeded_sqlite) + 8 * 1024 * 1024
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    shutil.copyfile(seeded_sqlite, disk / "site.sqlite")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(directory):
    """Write a file until the disk is full; its path."""
    filler = directory / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_refuses_the_save_and_keeps_the_text(small_disk, serve):
    path = small_disk / "site.sqlite"
    url = f"sqlite:///{path}"
    server = serve(environment(url))
    try:
        editor = Editor(server.url).login()
        item = item_id(url, "kafka")
        fields = typed(editor, item, "disk penuh")
        filler = fill(small_disk)
        assert_text_kept(editor.save(item, fields), fields)
        assert requests.get(server.url + "/topics/kafka", timeout=10).status_code in (200, 503)
        filler.unlink()
        save_after_recovery(editor, item, fields)
        assert saved_texts(url, item)[:2] == (fields["summary"], fields["body"])
    finally:
        server.stop()  # before the tmpfs goes
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
