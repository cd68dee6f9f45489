"""Word-level differences between two texts, as escaped HTML with <del> and <ins>.

Used by the history pages and by the edit-conflict merge screen. Bodies can be up to
100 000 characters, so the work is kept small: the common start and end are cut off
first, long middles are compared line by line, and only changed stretches of lines are
compared word by word. Whitespace never anchors a match (it would pair up unrelated
words) but is kept inside matches, so ``a b`` -> ``x y`` reads as one replacement.
"""

import re
from collections import Counter
from difflib import SequenceMatcher
from itertools import pairwise

from markupsafe import Markup, escape

TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

# Stretches up to this many tokens (both sides together) are compared word by word
# at once; longer ones are cut into lines, then sentences, first.
EXACT_TOKENS = 1200
# A long stretch that cannot be cut is still compared word by word up to this size;
# past it, it is shown as one removal and one addition.
MAX_TOKENS = 6_000
# At most about this many pairs of equal tokens may anchor matches (see _frequent).
WORK_BUDGET = 4000


class Diff(Markup):
    """The HTML of a word diff; ``changed`` is False when the two texts are equal."""

    changed = False

    @classmethod
    def of(cls, html, changed):
        diff = cls(html)
        diff.changed = changed
        return diff


def tokens(text):
    return TOKEN.findall(text)


def word_diff(a, b):
    """``b`` compared with ``a``: removed words in <del>, added words in <ins>, all escaped.

    Returns a :class:`Diff` (a ``Markup``) whose ``changed`` attribute says whether
    the texts differ. ``None`` counts as the empty text.
    """
    a = "" if a is None else str(a)
    b = "" if b is None else str(b)
    if a == b:
        return Diff.of(escape(a), False)
    out = []
    _diff(tokens(a), tokens(b), out)
    return Diff.of(Markup("").join(out), True)


def _equal(out, toks):
    if toks:
        out.append(escape("".join(toks)))


def _change(out, removed, added):
    if removed:
        out.append(Markup("<del>%s</del>") % "".join(removed))
    if added:
        out.append(Markup("<ins>%s</ins>") % "".join(added))


def _diff(a, b, out, level=0):
    # Most edits touch one place: cut the common start and end before any matching.
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    limit -= start
    while end < limit and a[-1 - end] == b[-1 - end]:
        end += 1
    _equal(out, a[:start])
    _diff_middle(a[start : len(a) - end], b[start : len(b) - end], out, level)
    _equal(out, a[len(a) - end :])


def _ends_line(toks, i):
    return "\n" in toks[i]


def _ends_sentence(toks, i):
    return i > 0 and toks[i].isspace() and toks[i - 1] in _SENTENCE_END


_SENTENCE_END = frozenset(".!?;:")
# Long stretches are compared line by line, then changed lines sentence by sentence.
SPLITTERS = (_ends_line, _ends_sentence)


def _diff_middle(a, b, out, level):
    if not a or not b:
        _change(out, a, b)
    elif len(a) + len(b) <= EXACT_TOKENS:
        _diff_words(a, b, out)
    elif level < len(SPLITTERS):
        a_chunks = _chunks(a, SPLITTERS[level])
        b_chunks = _chunks(b, SPLITTERS[level])
        if len(a_chunks) < 2 and len(b_chunks) < 2:
            _diff_middle(a, b, out, level + 1)
            return
        matcher = SequenceMatcher(
            None, [chunk[0] for chunk in a_chunks], [chunk[0] for chunk in b_chunks]
        )
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                _equal(out, _join_chunks(a, a_chunks, i1, i2))
            elif op == "replace" and i2 - i1 == j2 - j1:
                # As many chunks on each side: most likely each was edited in place.
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                    _diff(
                        a[a_chunks[i][1] : a_chunks[i][2]],
                        b[b_chunks[j][1] : b_chunks[j][2]],
                        out,
                        level + 1,
                    )
            else:
                _diff(
                    _join_chunks(a, a_chunks, i1, i2),
                    _join_chunks(b, b_chunks, j1, j2),
                    out,
                    level + 1,
                )
    elif len(a) + len(b) <= MAX_TOKENS:
        _diff_words(a, b, out)
    else:
        _change(out, a, b)


def _diff_words(a, b, out):
    junk = _frequent(a, b)
    matcher = SequenceMatcher(lambda t: t.isspace() or t in junk, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _equal(out, a[i1:i2])
        else:
            _change(out, a[i1:i2], b[j1:j2])


def _frequent(a, b):
    """Tokens too common on both sides to anchor a match within the work budget.

    SequenceMatcher's cost grows with the number of pairs of equal tokens: dropping the
    most common ones (commas, "the", "yang") as anchors keeps it bounded on any input.
    """
    count_a, count_b = Counter(a), Counter(b)
    costs = sorted(
        ((n * count_b[t], t) for t, n in count_a.items() if t in count_b and not t.isspace()),
        reverse=True,
    )
    work = sum(cost for cost, _ in costs)
    junk = set()
    for cost, token in costs:
        if work <= WORK_BUDGET:
            break
        junk.add(token)
        work -= cost
    return junk


def _chunks(toks, ends_chunk):
    """(text, start, end) for each chunk of ``toks``, cut after the tokens that end one."""
    ends = [i + 1 for i in range(len(toks)) if ends_chunk(toks, i)]
    if not ends or ends[-1] != len(toks):
        ends.append(len(toks))
    return [("".join(toks[s:e]), s, e) for s, e in pairwise([0, *ends])]


def _join_chunks(toks, chunks, first, last):
    if first == last:
        return []
    return toks[chunks[first][1] : chunks[last - 1][2]]
