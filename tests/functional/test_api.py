"""The read-only JSON API through the whole stack; every body is checked against the
OpenAPI document of its operation."""

import datetime as dt
import re

import jsonschema_rs
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from pybackend.api_spec import MAX_PER_PAGE, openapi_document
from pybackend.models import Item
from pybackend.models.item import TOPIC_KINDS
from pybackend.services import content
from pybackend.services.seed import read_seed
from tests.factories import make_example, make_link, make_topic

BASE = "http://example.com"
SPEC = openapi_document(BASE)
SEED = read_seed()
SEED_TOPICS = len(SEED["topic"])
SEED_EXAMPLES = len(SEED["example"])
API_PATHS = [
    "/api/v1/openapi.json",
    "/api/v1/topics",
    "/api/v1/topics/django",
    "/api/v1/examples",
    "/api/v1/examples/spotify",
    "/api/v1/search?q=python",
]


def _resolve(node):
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = SPEC["components"][kind][name]
    return node


def _validator(schema):
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    root["components"] = SPEC["components"]
    return jsonschema_rs.validator_for(root, validate_formats=True)


def _operation(path):
    """The spec's path template for a concrete path, or None."""
    for template in SPEC["paths"]:
        pattern = "^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    return None


def check(res):
    """``res`` is what the OpenAPI document promises for its path and status."""
    template = _operation(res.request.environ["PATH_INFO"])
    assert res.headers["X-Request-Id"]
    if template is None or res.request.method not in ("GET", "HEAD"):
        assert res.status_int >= 400
        response = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        }
    else:
        responses = SPEC["paths"][template]["get"]["responses"]
        assert str(res.status_int) in responses, (res.request.url, res.status)
        response = _resolve(responses[str(res.status_int)])
    for name, header in response.get("headers", {}).items():
        if _resolve(header).get("required"):
            assert name in res.headers, name
    if "content" not in response:
        assert not res.body
        return res
    assert res.content_type == "application/json"
    schema = response["content"]["application/json"]["schema"]
    _validator(schema).validate(res.json)
    if res.status_int >= 400:
        error = res.json["error"]
        assert error["status"] == res.status_int
        assert error["request_id"] == res.headers["X-Request-Id"]
        assert "no-store" in res.headers["Cache-Control"]
    return res


def get(testapp, path, status=200, **kw):
    return check(testapp.get(path, status=status, **kw))


def error_message(res):
    return res.json["error"]["message"]


# The document


def test_openapi_document_is_served(testapp):
    res = get(testapp, "/api/v1/openapi.json")
    assert res.json == SPEC
    assert res.json["openapi"] == "3.1.0"
    assert res.json["servers"] == [{"url": BASE}]


def test_the_document_describes_every_api_route_and_nothing_else(app):
    patterns = {
        re.sub(r"\{(\w+):[^}]*\}", r"{\1}", intr["introspectable"]["pattern"])
        for intr in app.registry.introspector.get_category("routes")
        if intr["introspectable"]["name"].startswith("api.")
    }
    assert patterns == set(SPEC["paths"])


def test_the_document_is_valid_openapi_3_1():
    # The OAS 3.1 meta-schema, as bundled with schemathesis (no network needed).
    definitions = pytest.importorskip("schemathesis.specs.openapi.definitions")
    jsonschema_rs.validator_for(definitions.OPENAPI_31).validate(SPEC)


def test_the_document_is_valid_json_schema_throughout():
    for name, schema in SPEC["components"]["schemas"].items():
        _validator({"$ref": f"#/components/schemas/{name}"})
        if schema.get("type") == "object":
            assert schema["additionalProperties"] is False, name
            assert set(schema["required"]) == set(schema["properties"]), name


# Lists


def test_topic_list_defaults(testapp):
    res = get(testapp, "/api/v1/topics")
    body = res.json
    assert body["total"] == SEED_TOPICS
    pages = -(-SEED_TOPICS // 20)
    assert (body["page"], body["per_page"], body["pages"]) == (1, 20, pages)
    assert len(body["items"]) == min(SEED_TOPICS, 20)
    next_link = f"{BASE}/api/v1/topics?page=2" if pages > 1 else None
    assert body["links"] == {"self": f"{BASE}/api/v1/topics", "next": next_link, "prev": None}
    first = body["items"][0]
    assert first["slug"] == "python" and first["kind"] == "language"
    assert first["lang"] == "id" and first["title"] == "Python"
    assert first["url"] == f"{BASE}/topics/python"
    assert first["api_url"] == f"{BASE}/api/v1/topics/python"
    assert dt.datetime.fromisoformat(first["updated_at"]).tzinfo == dt.UTC
    kinds = [item["kind"] for item in body["items"]]
    assert kinds == sorted(kinds, key=TOPIC_KINDS.index)


def test_topic_list_pages(testapp):
    count = -(-SEED_TOPICS // 4)
    assert count >= 3 and SEED_TOPICS % 4  # several pages, the last one short
    numbers = range(1, count + 1)
    pages = [get(testapp, f"/api/v1/topics?per_page=4&page={n}").json for n in numbers]
    assert [p["pages"] for p in pages] == [count] * count
    assert [len(p["items"]) for p in pages] == [4] * (count - 1) + [SEED_TOPICS % 4]
    slugs = [item["slug"] for p in pages for item in p["items"]]
    assert len(set(slugs)) == len(slugs) == SEED_TOPICS
    assert set(slugs) == {topic["slug"] for topic in SEED["topic"]}
    assert pages[0]["links"]["prev"] is None
    assert pages[0]["links"]["next"] == f"{BASE}/api/v1/topics?page=2&per_page=4"
    assert pages[1]["links"]["prev"] == f"{BASE}/api/v1/topics?per_page=4"
    assert pages[1]["links"]["next"] == f"{BASE}/api/v1/topics?page=3&per_page=4"
    assert pages[2]["links"]["prev"] == f"{BASE}/api/v1/topics?page=2&per_page=4"
    assert pages[-1]["links"]["next"] is None
    res = get(testapp, f"/api/v1/topics?per_page=4&page={count + 1}", status=404)
    assert f"{count} page" in error_message(res)


def test_topic_list_by_kind_keeps_the_filter_in_links(testapp):
    body = get(testapp, "/api/v1/topics?kind=framework&lang=en&per_page=1").json
    frameworks = [topic for topic in SEED["topic"] if topic["kind"] == "framework"]
    assert len(frameworks) > 1
    assert body["total"] == len(frameworks)
    assert {item["kind"] for item in body["items"]} == {"framework"}
    assert body["links"]["next"] == f"{BASE}/api/v1/topics?lang=en&kind=framework&page=2&per_page=1"


def test_empty_list_has_one_empty_page(testapp, dbsession):
    for item in dbsession.scalars(select(Item).where(Item.type == "example")):
        item.status = "draft"
    dbsession.flush()
    body = get(testapp, "/api/v1/examples").json
    assert (body["items"], body["total"], body["pages"]) == ([], 0, 1)
    get(testapp, "/api/v1/examples?page=2", status=404)


def test_lists_in_english(testapp):
    body = get(testapp, "/api/v1/examples?lang=en").json
    assert body["total"] == SEED_EXAMPLES
    spotify = next(item for item in body["items"] if item["slug"] == "spotify")
    assert spotify["lang"] == "en"
    assert "kind" not in spotify
    assert spotify["url"] == f"{BASE}/en/examples/spotify"
    assert spotify["api_url"] == f"{BASE}/api/v1/examples/spotify?lang=en"
    assert body["links"]["self"] == f"{BASE}/api/v1/examples?lang=en"


def test_english_falls_back_to_indonesian_text(testapp, dbsession):
    make_topic(
        dbsession,
        slug="aaa-untranslated",
        kind="language",
        texts={"id": ("Judul saja", "Ringkasan saja", "Isi"), "en": None},
    )
    body = get(testapp, "/api/v1/topics?lang=en&kind=language").json
    item = next(item for item in body["items"] if item["slug"] == "aaa-untranslated")
    assert (item["lang"], item["title"]) == ("id", "Judul saja")
    assert item["url"] == f"{BASE}/en/topics/aaa-untranslated"
    detail = get(testapp, "/api/v1/topics/aaa-untranslated?lang=en").json
    assert (detail["lang"], detail["body_markdown"]) == ("id", "Isi")
    assert detail["stale_translation"] is False
    python = next(item for item in body["items"] if item["slug"] == "python")
    assert python["lang"] == "en"


# Details


def test_topic_detail(testapp):
    body = get(testapp, "/api/v1/topics/django").json
    assert body["slug"] == "django" and body["type"] == "topic" and body["kind"] == "framework"
    assert body["website"] == "https://www.djangoproject.com/"
    assert body["package"] == "Django"
    assert "topic:python" in body["body_markdown"]
    assert f'href="{BASE}/topics/python"' in body["body_html"]
    assert "<script" not in body["body_html"]
    assert body["stale_translation"] is False
    assert "instagram" in {link["slug"] for link in body["used_by"]}
    assert all(link["type"] == "example" for link in body["used_by"])
    related = {link["slug"]: link for link in body["related"]}
    assert related["flask"]["relation"] == "alternative_to"
    assert related["flask"]["note"]
    assert related["flask"]["url"] == f"{BASE}/topics/flask"
    assert related["flask"]["api_url"] == f"{BASE}/api/v1/topics/flask"
    assert "instagram" in {link["slug"] for link in body["backlinks"]}


def test_topic_detail_in_english_links_to_english_pages(testapp):
    body = get(testapp, "/api/v1/topics/django?lang=en").json
    assert body["lang"] == "en"
    assert f'href="{BASE}/en/topics/python"' in body["body_html"]
    assert body["url"] == f"{BASE}/en/topics/django"
    assert body["used_by"][0]["api_url"].endswith("?lang=en")
    flask = next(link for link in body["related"] if link["slug"] == "flask")
    seed_link = next(
        r for r in SEED["relation"] if {r["source"], r["target"]} == {"django", "flask"}
    )
    assert flask["note"] == seed_link["note_en"] != seed_link["note_id"]


def test_succession_reads_both_ways(testapp):
    pyramid = get(testapp, "/api/v1/topics/pyramid").json
    pylons = get(testapp, "/api/v1/topics/pylons").json
    assert {r["slug"]: r["relation"] for r in pyramid["related"]}["pylons"] == "successor_of"
    assert {r["slug"]: r["relation"] for r in pylons["related"]}["pyramid"] == "predecessor_of"


def test_example_detail(testapp):
    body = get(testapp, "/api/v1/examples/spotify?lang=en").json
    assert body["type"] == "example" and "kind" not in body and "package" not in body
    assert body["website"].startswith("https://")
    uses = {link["slug"]: link for link in body["uses"]}
    assert {"python", "kafka", "zeromq"} <= set(uses)
    assert all(link["note"] for link in uses.values())
    assert uses["kafka"]["url"] == f"{BASE}/en/topics/kafka"


def test_links_and_empty_fields_of_new_items(testapp, dbsession):
    topic = make_topic(dbsession, slug="tiny", website="", package="")
    example = make_example(
        dbsession,
        slug="tiny-app",
        texts={"id": ("Aplikasi", "", "Memakai [Tiny](topic:tiny)."), "en": None},
    )
    make_link(dbsession, example, topic, note_id="catatan", note_en="a note")
    body = get(testapp, "/api/v1/topics/tiny?lang=en").json
    assert (body["website"], body["package"]) == (None, None)
    assert body["used_by"] == [
        {
            "type": "example",
            "slug": "tiny-app",
            "title": "Aplikasi",
            "note": "a note",
            "url": f"{BASE}/en/examples/tiny-app",
            "api_url": f"{BASE}/api/v1/examples/tiny-app?lang=en",
        }
    ]
    assert [link["slug"] for link in body["backlinks"]] == ["tiny-app"]
    body = get(testapp, "/api/v1/examples/tiny-app").json
    assert body["uses"][0]["note"] == "catatan"
    assert body["summary"] == ""


def test_stale_translation(testapp, dbsession):
    topic = make_topic(dbsession, slug="changing")
    assert get(testapp, "/api/v1/topics/changing?lang=en").json["stale_translation"] is False
    topic.texts["id"].body = "Isi baru."
    dbsession.flush()
    assert get(testapp, "/api/v1/topics/changing?lang=en").json["stale_translation"] is True
    assert get(testapp, "/api/v1/topics/changing").json["stale_translation"] is False


def test_head(testapp):
    for path in API_PATHS[:5]:
        res = testapp.head(path, status=200)
        assert res.body == b""
        assert res.content_type == "application/json"


# Old slugs, drafts, missing things


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/v1/topics/zmq", "/api/v1/topics/zeromq"),
        ("/api/v1/topics/pyramid-framework", "/api/v1/topics/pyramid"),
        ("/api/v1/topics/zmq?lang=en", "/api/v1/topics/zeromq?lang=en"),
        ("/api/v1/topics/zmq?lang=en&other=1", "/api/v1/topics/zeromq?lang=en&other=1"),
    ],
)
def test_old_slug_redirects_permanently(testapp, path, location):
    res = get(testapp, path, status=301, headers={"Host": "localhost:6543"})
    assert res.location == BASE + location
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    get(testapp, res.location)


def test_old_slug_redirect_validates_first(testapp):
    get(testapp, "/api/v1/topics/zmq?lang=xx", status=400)


def test_old_example_slug(testapp, dbsession):
    make_example(dbsession, slug="new-name", old_slugs=["old-name"])
    res = get(testapp, "/api/v1/examples/old-name", status=301)
    assert res.location == f"{BASE}/api/v1/examples/new-name"
    # Old slugs are per type.
    get(testapp, "/api/v1/topics/old-name", status=404)


def test_drafts_and_deleted_items_are_hidden(testapp, dbsession):
    make_topic(dbsession, slug="secret-draft", status="draft", kind="language")
    make_topic(dbsession, slug="was-draft", status="draft", old_slugs=["old-draft"])
    make_example(dbsession, slug="gone", deleted_at=dt.datetime.now(dt.UTC))
    get(testapp, "/api/v1/topics/secret-draft", status=404)
    get(testapp, "/api/v1/topics/old-draft", status=404)
    get(testapp, "/api/v1/examples/gone", status=404)
    topics = get(testapp, "/api/v1/topics?per_page=100").json
    assert topics["total"] == SEED_TOPICS
    assert "secret-draft" not in {item["slug"] for item in topics["items"]}
    examples = get(testapp, "/api/v1/examples").json
    assert "gone" not in {item["slug"] for item in examples["items"]}


def test_draft_links_are_hidden(testapp, dbsession):
    draft = make_example(dbsession, slug="draft-user", status="draft")
    make_link(dbsession, draft, content.public_item(dbsession, "topic", "django"))
    body = get(testapp, "/api/v1/topics/django").json
    assert "draft-user" not in {link["slug"] for link in body["used_by"]}


NOT_FOUND = [
    "/api",
    "/api/v1/nope",
    "/api/v1",
    "/api/v1/",
    "/api/",
    "/api/v2/topics",
    "/api/v1/topics/",
    "/api/v1/topics/no-such-topic",
    "/api/v1/topics/spotify",
    "/api/v1/examples/django",
    "/api/v1/topics/Django",
    "/api/v1/topics/a--b",
    "/api/v1/topics/-a",
    "/api/v1/topics/django%0A",
    "/api/v1/topics/django%00",
    "/api/v1/topics/django/extra",
    "/api/v1/topics/" + "a" * 101,
    "/api/v1/openapi.json/x",
]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_not_found_is_json(testapp, path):
    res = get(testapp, path, status=404)
    assert res.headers["Access-Control-Allow-Origin"] == "*"


# Bad parameters

BAD_REQUEST = [
    "/api/v1/topics?lang=xx",
    "/api/v1/topics?lang=",
    "/api/v1/topics?lang=EN",
    "/api/v1/topics?lang=id&lang=en",
    "/api/v1/topics?lang=en&lang=en",
    "/api/v1/topics?page=0",
    "/api/v1/topics?page=-1",
    "/api/v1/topics?page=",
    "/api/v1/topics?page",
    "/api/v1/topics?page=abc",
    "/api/v1/topics?page=1.5",
    "/api/v1/topics?page=1e3",
    "/api/v1/topics?page=+1",
    "/api/v1/topics?page=%201",
    "/api/v1/topics?page=100001",
    "/api/v1/topics?page=99999999999999999999999",
    "/api/v1/topics?page=1&page=1",
    "/api/v1/topics?page=%EF%BC%91",  # a full-width digit one
    "/api/v1/topics?page=%ff",
    "/api/v1/topics?per_page=0",
    "/api/v1/topics?per_page=101",
    "/api/v1/topics?per_page=1000000",
    "/api/v1/topics?per_page=ten",
    "/api/v1/topics?per_page=5&per_page=5",
    "/api/v1/topics?kind=nope",
    "/api/v1/topics?kind=",
    "/api/v1/topics?kind=library&kind=framework",
    "/api/v1/topics?%ff=1",
    "/api/v1/topics/django?lang=de",
    "/api/v1/topics/django?lang=en&lang=id",
    "/api/v1/topics/%ff",
    "/api/v1/topics/%c3%28",
    "/api/v1/examples?page=0",
    "/api/v1/examples?per_page=101",
    "/api/v1/examples/spotify?lang=xx",
    "/api/v1/%ff%fe",
    "/api/v1/search",
    "/api/v1/search?q=",
    "/api/v1/search?q=django&q=flask",
    "/api/v1/search?q=django&lang=xx",
    "/api/v1/search?q=django&page=0",
    "/api/v1/search?q=django&per_page=101",
]


@pytest.mark.parametrize("path", BAD_REQUEST)
def test_bad_parameters_are_400_json(testapp, path):
    res = get(testapp, path, status=400)
    assert "Traceback" not in res.text


def test_messages_say_what_is_wrong(testapp):
    res = get(testapp, f"/api/v1/topics?per_page={MAX_PER_PAGE + 1}", status=400)
    assert error_message(res) == "Parameter 'per_page' must be a whole number from 1 to 100."
    res = get(testapp, "/api/v1/topics?lang=id&lang=en", status=400)
    assert error_message(res) == "Parameter 'lang' may be given only once."
    res = get(testapp, "/api/v1/topics?kind=x", status=400)
    assert error_message(res).startswith("Parameter 'kind' must be one of: language, ")


def test_unknown_parameters_are_ignored(testapp):
    body = get(testapp, "/api/v1/topics?sort=title&foo=1&foo=2").json
    assert body["total"] == SEED_TOPICS
    assert body["links"]["self"] == f"{BASE}/api/v1/topics"


def test_numbers_with_leading_zeros_are_numbers(testapp):
    body = get(testapp, "/api/v1/topics?page=01&per_page=005").json
    assert (body["page"], body["per_page"]) == (1, 5)


# Methods, failures, caching


@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_json_with_allow(testapp, path, method):
    res = getattr(testapp, method)(path, status=405)
    assert res.headers["Allow"] == "GET, HEAD"
    check(res)


def test_options_is_405_too(testapp):
    res = testapp.options("/api/v1/topics", status=405)
    assert res.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("function", "path"),
    [
        ("list_public", "/api/v1/topics"),
        ("count_public", "/api/v1/examples"),
        ("public_item", "/api/v1/topics/django"),
        ("uses", "/api/v1/examples/spotify"),
        ("render_body", "/api/v1/topics/flask"),
    ],
)
def test_unexpected_error_is_500_json_without_internals(testapp, monkeypatch, function, path):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(content, function, broken)
    res = get(testapp, path, status=500)
    assert "secret" not in res.text and "Traceback" not in res.text
    assert "RuntimeError" not in res.text


def test_database_down_is_503_json_with_retry_after(testapp, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused: password=x"))

    monkeypatch.setattr(content, "public_item", down)
    res = get(testapp, "/api/v1/topics/django", status=503)
    assert res.headers["Retry-After"] == "5"
    assert "password" not in res.text and "SELECT" not in res.text


def test_etag_and_304(testapp):
    for path in API_PATHS[:5]:
        res = get(testapp, path)
        assert res.etag
        assert res.headers["Cache-Control"].startswith("public")
        assert res.headers["Access-Control-Allow-Origin"] == "*"
        again = testapp.get(path, headers={"If-None-Match": f'"{res.etag}"'}, status=304)
        assert again.body == b""
        assert again.headers["Access-Control-Allow-Origin"] == "*"
        check(again)
        other = testapp.get(path + "?lang=en", headers={"If-None-Match": f'"{res.etag}"'})
        # The ETag is the hash of the bytes: only a different body may answer 200.
        english = testapp.get(path + "?lang=en")
        assert other.status_int == (304 if english.body == res.body else 200)
        assert (english.etag == res.etag) == (english.body == res.body)


def test_a_raw_semicolon_stays_in_the_value(testapp):
    # schemathesis's client leaves ";" unescaped (it is legal in a query); WebOb split there.
    res = get(testapp, "/api/v1/search?lang=en&q=%3Bdjango;x")
    assert res.json["query"] == ";django;x"


def test_an_unknown_host_gets_a_json_400_on_the_api_and_html_elsewhere(testapp):
    res = testapp.get("/api/v1/topics", headers={"Host": "evil.example"}, status=400)
    assert res.content_type == "application/json"
    assert res.json["error"]["status"] == 400
    assert "host" in res.json["error"]["message"].lower()
    assert "evil" not in res.text
    assert res.headers["Cache-Control"] == "no-store"
    page = testapp.get("/topics", headers={"Host": "evil.example"}, status=400)
    assert page.content_type == "text/html"


def test_html_pages_keep_their_html_errors(testapp):
    res = testapp.get("/nope", status=404)
    assert res.content_type == "text/html"
    res = testapp.get("/topics?page=0", status=400)
    assert res.content_type == "text/html"
    res = testapp.post("/topics", status=405)
    assert res.content_type == "text/html"
    res = testapp.get("/apiary", status=404)
    assert res.content_type == "text/html"


# Search


def test_search(testapp):
    body = get(testapp, "/api/v1/search?q=django").json
    assert body["query"] == "django"
    assert body["total"] >= 1 and body["items"][0]["slug"] == "django"
    hit = body["items"][0]
    assert hit["type"] == "topic" and hit["lang"] == "id"
    assert hit["url"] == f"{BASE}/topics/django"
    assert hit["api_url"] == f"{BASE}/api/v1/topics/django"
    assert "<mark>" in hit["snippet_html"] or hit["snippet_html"] == hit["snippet"]
    assert all("<" not in h["snippet"] for h in body["items"])
    assert body["links"]["self"] == f"{BASE}/api/v1/search?q=django"


def test_search_in_english_with_pages(testapp):
    first = get(testapp, "/api/v1/search?q=python&lang=en&per_page=2").json
    assert first["total"] > 2
    assert [hit["lang"] for hit in first["items"]] == ["en", "en"]
    assert first["items"][0]["url"].startswith(f"{BASE}/en/")
    assert first["items"][0]["api_url"].endswith("?lang=en")
    assert first["links"]["next"] == f"{BASE}/api/v1/search?q=python&lang=en&page=2&per_page=2"
    last = get(testapp, first["links"]["self"] + f"&page={first['pages']}").json
    assert last["links"]["next"] is None
    get(testapp, f"/api/v1/search?q=python&per_page=2&page={first['pages'] + 1}", status=404)


def test_search_says_when_the_total_is_a_lower_bound(testapp, dbsession, monkeypatch):
    from pybackend.services import search
    from tests.services.test_search import broad_topics

    assert get(testapp, "/api/v1/search?q=django").json["total_exact"] is True
    monkeypatch.setattr(search, "MAX_RANKED", 4)
    broad_topics(dbsession)
    body = get(testapp, "/api/v1/search?q=brdq&per_page=3").json
    assert (body["total"], body["total_exact"], body["pages"]) == (4, False, 2)
    assert [hit["slug"] for hit in body["items"]] == ["luas-judul", "luas-ringkasan", "luas-isi-3"]
    get(testapp, "/api/v1/search?q=brdq&per_page=3&page=3", status=404)


def test_search_finds_nothing_and_suggests(testapp):
    body = get(testapp, "/api/v1/search?q=djnago").json
    assert (body["total"], body["items"], body["pages"]) == (0, [], 1)
    assert "Django" in body["suggestions"]


@pytest.mark.parametrize(
    "query",
    ["100%", "a_b", "it's", '"django', "a & b | !c:*", "(x", "NEAR(a b)", "*", "-", "\x00", " "],
)
def test_search_syntax_is_literal_and_never_an_error(testapp, query):
    res = get(testapp, "/api/v1/search", params={"q": query})
    assert res.json["query"] == query


def test_search_query_length_is_capped(testapp):
    get(testapp, "/api/v1/search", params={"q": "a" * 200})
    res = get(testapp, "/api/v1/search", params={"q": "a" * 201}, status=400)
    assert "200" in error_message(res)


def test_search_hides_drafts_and_falls_back_to_indonesian(testapp, dbsession):
    texts = {"id": ("Kata zyxwvu", "Ringkasan zyxwvu", "Isi zyxwvu."), "en": None}
    make_topic(dbsession, slug="draft-zyx", status="draft", texts=texts)
    assert get(testapp, "/api/v1/search?q=zyxwvu").json["total"] == 0
    make_example(dbsession, slug="public-zyx", texts=texts)
    body = get(testapp, "/api/v1/search?q=zyxwvu&lang=en").json
    assert [(h["slug"], h["type"], h["lang"]) for h in body["items"]] == [
        ("public-zyx", "example", "id")
    ]
    assert body["items"][0]["url"] == f"{BASE}/en/examples/public-zyx"


def test_search_failure_is_500_json(testapp, monkeypatch):
    from pybackend.services import search

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(search, "search", broken)
    res = get(testapp, "/api/v1/search?q=x", status=500)
    assert "secret" not in res.text


def test_search_query_errors_are_400_with_the_service_message(testapp, monkeypatch):
    from pybackend.services import search

    def refuse(*args, **kwargs):
        raise search.SearchQueryError("Kata pencarian tidak valid.")

    monkeypatch.setattr(search, "search", refuse)
    res = get(testapp, "/api/v1/search?q=x", status=400)
    assert error_message(res)
