"""The seed content itself: long enough, sourced, and its Python examples work.

While the content is being written, ``PYBACKEND_CONTENT_DRAFT=1`` skips the length check
(only that one); nothing sets it, so a normal run holds every item to MIN_PROSE_WORDS.
"""

import os
import re
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt

from pybackend.services.seed_files import read_items

# Words of prose (code blocks excluded) each item needs in each language.
MIN_PROSE_WORDS = 600
# A ```python stdlib block must finish well within this (the format promises 5 s).
STDLIB_TIMEOUT_SECONDS = 20

ITEMS = read_items()
_md = MarkdownIt("commonmark")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def prose_words(body):
    """The words of a Markdown body outside code blocks (inline code counts)."""
    words = 0
    for token in _md.parse(body):
        if token.type == "inline":
            words += len(_WORD.findall(token.content))
    return words


def python_blocks(body):
    """(info, code) of every fenced block whose language is python."""
    return [
        (token.info.split(), token.content)
        for token in _md.parse(body)
        if token.type == "fence" and token.info.split()[:1] == ["python"]
    ]


def _ids(items):
    return [name for name, _ in items]


def test_prose_words_leave_code_out():
    body = "Satu dua tiga.\n\n```python\nx = 1  # not prose\n```\n\n`kode` empat"
    assert prose_words(body) == 5


@pytest.mark.skipif(
    os.environ.get("PYBACKEND_CONTENT_DRAFT") == "1",
    reason="PYBACKEND_CONTENT_DRAFT=1: the content is still being written",
)
@pytest.mark.parametrize(("name", "entry"), ITEMS, ids=_ids(ITEMS))
def test_every_item_has_enough_prose_in_both_languages(name, entry):
    counts = {lang: prose_words(entry[lang]["body"]) for lang in ("id", "en")}
    assert min(counts.values()) >= MIN_PROSE_WORDS, f"{name}: {counts}"


@pytest.mark.parametrize(("name", "entry"), ITEMS, ids=_ids(ITEMS))
def test_every_item_has_a_source(name, entry):
    assert entry["sources"], f"{name} has no [[sources]]"


@pytest.mark.parametrize(("name", "entry"), ITEMS, ids=_ids(ITEMS))
def test_every_python_block_compiles(name, entry):
    for lang in ("id", "en"):
        for n, (_info, code) in enumerate(python_blocks(entry[lang]["body"]), 1):
            compile(code, f"{name} [{lang}] python block {n}", "exec")


STDLIB_BLOCKS = [
    (f"{name}-{lang}-{n}", code)
    for name, entry in ITEMS
    for lang in ("id", "en")
    for n, (info, code) in enumerate(python_blocks(entry[lang]["body"]), 1)
    if "stdlib" in info[1:]
]


@pytest.mark.parametrize(("name", "code"), STDLIB_BLOCKS or [("none", "")], ids=lambda v: v[:40])
def test_stdlib_blocks_run(name, code, tmp_path):
    if not code:
        pytest.skip("no ```python stdlib block in the seed yet")
    # -I: isolated (no site-packages, no user paths): the standard library only.
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=STDLIB_TIMEOUT_SECONDS,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, f"{name}:\n{result.stderr[-2000:]}"
