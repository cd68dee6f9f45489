"""The seed files are checked one by one, with errors that name the file."""

import pytest

from pybackend.services.seed_files import SeedError, read_glossary, read_items

GOOD = """\
type = "topic"
slug = "fastapi"
kind = "framework"
website = "https://fastapi.tiangolo.com/"
package = "fastapi"
old_slugs = []

[id]
title = "FastAPI"
summary = "Ringkas."
body = "Isi."

[en]
title = "FastAPI"
summary = "Short."
body = "Body."

[facts]
first_release = "2018-12"
licence = "MIT"

[[sources]]
title = "FastAPI documentation"
url = "https://fastapi.tiangolo.com/"
publisher = "FastAPI"
accessed = "2026-12-01"
"""


def write(root, name, text):
    (root / "items").mkdir(exist_ok=True)
    (root / "items" / name).write_text(text)


def test_a_good_file_is_read(tmp_path):
    write(tmp_path, "topic-fastapi.toml", GOOD)
    [(name, entry)] = read_items(tmp_path)
    assert name == "topic-fastapi.toml"
    assert entry["facts"] == {"first_release": "2018-12", "licence": "MIT"}
    assert entry["sources"][0]["accessed"] == "2026-12-01"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('licence = "MIT"', 'licence = "MIT"\nstars = "many"'),
            "unknown key(s) in [facts]: stars",
        ),
        (
            ('package = "fastapi"', 'package = "fastapi"\nauthor = "x"'),
            "unknown key(s) in the file",
        ),
        (('kind = "framework"', 'kind = "web"'), "kind must be one of"),
        (('accessed = "2026-12-01"', 'accessed = "yesterday"'), "accessed must be an ISO date"),
        (('first_release = "2018-12"', 'first_release = "Dec 2018"'), "facts.first_release"),
        (('url = "https://fastapi.tiangolo.com/"', 'url = "ftp://x"'), "source 1 url"),
        (('summary = "Short."\n', ""), "missing key(s) in [en]: summary"),
        (('body = "Isi."', "body = 'unterminated"), "not valid TOML"),
        (('slug = "fastapi"', 'slug = "FastAPI"'), "slug is malformed"),
    ],
)
def test_errors_name_the_file(tmp_path, change, message):
    write(tmp_path, "topic-fastapi.toml", GOOD.replace(*change, 1))
    with pytest.raises(SeedError) as error:
        read_items(tmp_path)
    assert str(error.value).startswith("topic-fastapi.toml: ")
    assert message in str(error.value)


def test_the_file_name_must_match(tmp_path):
    write(tmp_path, "topic-fast.toml", GOOD)
    with pytest.raises(SeedError, match="must be called topic-fastapi.toml"):
        read_items(tmp_path)


def test_links_must_reach_a_seed_topic(tmp_path):
    write(
        tmp_path,
        "topic-fastapi.toml",
        GOOD + '\n[[relation]]\ntarget = "flask"\nkind = "related_to"\n',
    )
    with pytest.raises(SeedError, match="topic-fastapi.toml: relation to unknown topic flask"):
        read_items(tmp_path)


def test_glossary_terms_are_checked(tmp_path):
    (tmp_path / "glossary.toml").write_text(
        '[[term]]\nid = "berkas"\nen = "file"\nnote_id = ""\nnote_en = ""\n'
    )
    assert read_glossary(tmp_path)[0]["en"] == "file"
    (tmp_path / "glossary.toml").write_text('[[term]]\nid = "berkas"\nen = "file"\n')
    with pytest.raises(SeedError, match="glossary.toml: missing key"):
        read_glossary(tmp_path)


def test_the_bundled_seed_and_glossary_are_valid():
    assert len(read_items()) >= 13
    assert any(term["id"] == "basis data" for term in read_glossary())
