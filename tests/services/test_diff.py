"""Word diffs: escaped, <del>/<ins> around changes, fast on long texts."""

import random
import re
import time

import pytest
from markupsafe import Markup

from pybackend.services.diff import tokens, word_diff


def strip_tags(html):
    return re.sub(r"</?(?:del|ins)>", "", str(html))


def old_side(html):
    """The first text back from a diff: drop the additions, keep the removals."""
    return unescape(strip_tags(re.sub(r"<ins>.*?</ins>", "", str(html), flags=re.S)))


def new_side(html):
    return unescape(strip_tags(re.sub(r"<del>.*?</del>", "", str(html), flags=re.S)))


def unescape(text):
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
    )


def test_equal_texts():
    diff = word_diff("sama saja", "sama saja")
    assert isinstance(diff, Markup)
    assert diff.changed is False
    assert diff == "sama saja"


def test_one_changed_word():
    diff = word_diff("Kucing itu hitam.", "Kucing itu putih.")
    assert diff.changed is True
    assert diff == "Kucing itu <del>hitam</del><ins>putih</ins>."


def test_addition_and_removal():
    assert word_diff("a b", "a b c") == "a b<ins> c</ins>"
    assert word_diff("a b c", "a c") == "a <del>b </del>c"
    assert word_diff("", "baru") == "<ins>baru</ins>"
    assert word_diff("lama", "") == "<del>lama</del>"
    assert word_diff(None, None) == "" and not word_diff(None, "").changed


def test_unrelated_words_read_as_one_replacement():
    # Spaces between changed words do not split the change into pieces.
    assert word_diff("satu dua tiga", "empat lima enam") == (
        "<del>satu dua tiga</del><ins>empat lima enam</ins>"
    )


def test_every_token_is_escaped():
    diff = word_diff('<b>"a" & b</b>', "<script>alert('x')</script> & b")
    assert "<script>" not in diff and "<b>" not in diff
    assert "&lt;" in diff and "&amp;" in diff
    assert old_side(diff) == '<b>"a" & b</b>'
    assert new_side(diff) == "<script>alert('x')</script> & b"


def test_markup_input_is_escaped_too():
    assert "<i>" not in word_diff(Markup("<i>x</i>"), "y")


def test_tokens_are_words_spaces_and_punctuation():
    assert tokens("Halo,  dunia!\n") == ["Halo", ",", "  ", "dunia", "!", "\n"]
    assert tokens("naïve café") == ["naïve", " ", "café"]


def test_whitespace_only_change_is_changed():
    diff = word_diff("a b", "a  b")
    assert diff.changed
    assert new_side(diff) == "a  b"


TEXT = (
    "Pyramid adalah framework web Python yang kecil, cepat dan membumi. "
    "Ia cocok untuk aplikasi kecil maupun besar; konfigurasinya eksplisit. "
    "Banyak tim memakainya bersama SQLAlchemy, Jinja2 dan WTForms.\n\n"
)


@pytest.mark.parametrize("seed", range(20))
def test_both_sides_can_be_recovered(seed):
    rnd = random.Random(seed)
    words = tokens(TEXT * rnd.randint(1, 40))
    a = "".join(words)
    changed = list(words)
    for _ in range(rnd.randint(1, 30)):
        i = rnd.randrange(len(changed))
        changed[i] = rnd.choice(["", "baru", "<x>", "\n", "dan & atau", changed[i] * 2])
    b = "".join(changed)
    diff = word_diff(a, b)
    assert old_side(diff) == a
    assert new_side(diff) == b
    assert diff.changed == (a != b)


def timed(a, b):
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        diff = word_diff(a, b)
        best = min(best, time.perf_counter() - start)
    return best, diff


def prose(rnd, size):
    words = tokens(TEXT)
    vocabulary = [w for w in words if not w.isspace()] + [f"kata{i}" for i in range(300)]
    out, length = [], 0
    while length < size:
        sentence = " ".join(rnd.choice(vocabulary) for _ in range(rnd.randint(5, 20))) + ". "
        if rnd.random() < 0.2:
            sentence += "\n\n"
        out.append(sentence)
        length += len(sentence)
    return "".join(out)[:size]


def mutate(rnd, text, n):
    words = tokens(text)
    for _ in range(n):
        words[rnd.randrange(len(words))] = rnd.choice(["diubah", "", "dua kata"])
    return "".join(words)


@pytest.mark.parametrize("edits", [1, 20, 300])
def test_ten_kilobytes_is_fast(edits):
    rnd = random.Random(edits)
    a = prose(rnd, 10_000)
    b = mutate(rnd, a, edits)
    elapsed, diff = timed(a, b)
    assert new_side(diff) == b
    # ~50 ms is the goal on a quiet machine; leave room for a busy CI runner.
    assert elapsed < 0.25, elapsed


def test_unrelated_ten_kilobyte_texts_are_fast():
    rnd = random.Random(7)
    elapsed, diff = timed(prose(rnd, 10_000), prose(rnd, 10_000))
    assert elapsed < 0.25, elapsed


@pytest.mark.parametrize("kind", ["edits", "unrelated", "one-line"])
def test_hundred_kilobytes_stays_bounded(kind):
    rnd = random.Random(3)
    a = prose(rnd, 100_000)
    if kind == "edits":
        b = mutate(rnd, a, 200)
    elif kind == "unrelated":
        b = prose(rnd, 100_000)
    else:
        a, b = a.replace("\n", " ").replace(".", ","), prose(rnd, 100_000).replace("\n", " ")
    elapsed, diff = timed(a, b)
    assert old_side(diff) == a and new_side(diff) == b
    assert elapsed < 2.0, elapsed


def test_three_way_takes_the_side_that_changed_and_flags_both():
    from pybackend.services.merge import three_way

    base = {"title": "A", "summary": "S", "body": "B", "slug": "x"}
    saved = {"title": "A2", "summary": "S", "body": "B2", "slug": "x"}
    mine = {"title": "A", "summary": "S3", "body": "B3", "slug": "x"}
    merged, conflicts = three_way(mine, saved, base)
    # title: only they changed it; summary: only I did; body: both; slug: nobody.
    assert merged == {"title": "A2", "summary": "S3", "body": "B3", "slug": "x"}
    assert conflicts == ["body"]
    # Without the revision the editor started from, every difference is a conflict.
    assert three_way(mine, saved, None) == (mine, ["title", "summary", "body"])
