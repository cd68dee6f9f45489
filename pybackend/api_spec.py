"""The OpenAPI 3.1 document of the read-only JSON API, and the limits it promises.

One source of truth: the views in ``views/api/`` take their enums and limits from here,
and the tests check every response against this document, so the two cannot drift apart.
"""

import functools

from . import api_spec_guide
from .models.item import LANGUAGES, SLUG_MAX, SLUG_PATTERN, SOURCE_LANGUAGE, TOPIC_KINDS
from .models.source import FACT_KEYS
from .services.search import MAX_QUERY_LENGTH as SEARCH_QUERY_MAX
from .views import MAX_PAGE

API_VERSION = "1.0.0"
DEFAULT_LANG = SOURCE_LANGUAGE
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# How a topic relates to a linked topic: "successor_of" read from the other end is
# "predecessor_of" (Pyramid is successor_of Pylons; Pylons is predecessor_of Pyramid).
# Likewise "built_on" is "foundation_of" from the other end; "uses" is outgoing only (the
# topics that use it are in ``used_by``).
RELATIONS = (
    "alternative_to", "successor_of", "predecessor_of", "related_to", "built_on",
    "foundation_of", "uses",
)  # fmt: skip
ITEM_TYPES = ("topic", "example")
RETRY_AFTER_SECONDS = 5

JSON = "application/json"

DESCRIPTION = f"""\
Read-only access to the published topics and examples of pybackend, in Indonesian
(`id`, the source language) or English (`en`).

* **Language.** `lang` picks the language (default `{DEFAULT_LANG}`). An item without an
  English text falls back to Indonesian; its `lang` field says which language the text
  returned is written in. `url` is always the HTML page in the requested language.
* **Parameters** are validated strictly: an unknown value, a malformed, zero, negative or
  too large number, and a parameter given more than once are answered with 400.
  `per_page` is capped at {MAX_PER_PAGE}: larger values are 400, not clamped. A `page`
  past the last page is 404 (an empty result has one, empty, page). Query parameters
  this API does not define are ignored.
* **Errors** are always JSON: `{{"error": {{"status", "message", "request_id"}}}}`, also
  for unknown paths under `/api/` (404) and methods other than GET and HEAD (405, with
  `Allow`). `request_id` matches the `X-Request-Id` response header.
* **Caching.** Responses with 200 carry `ETag`, `Last-Modified` and `Cache-Control`;
  send `If-None-Match` or `If-Modified-Since` to get 304. Error responses are
  `Cache-Control: no-store`.
* **CORS.** Every response, 304s included, carries `Access-Control-Allow-Origin: *`.
* **Old slugs** of renamed items answer 301 with the current address in `Location`.
* Times are RFC 3339 in UTC. Links in `body_html` are absolute URLs of HTML pages.
"""


def _ref(kind, name):
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name):
    return _ref("schemas", name)


def _object(properties, description=None):
    """A closed object whose every property is always present."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _array(items):
    return {"type": "array", "items": items}


def _string(description=None, **kw):
    schema = {"type": "string", **kw}
    if description:
        schema["description"] = description
    return schema


URL = _string(format="uri")
SLUG = _string(pattern=SLUG_PATTERN, minLength=1, maxLength=SLUG_MAX)


def _linked_item(**extra):
    return {
        "type": _string(enum=list(ITEM_TYPES)),
        "slug": SLUG,
        "title": _string("In the requested language, or Indonesian when not translated."),
        **extra,
        "url": _string("The item's HTML page in the requested language.", format="uri"),
        "api_url": _string("The item in this API, in the requested language.", format="uri"),
    }


def _summary(item_type):
    properties = {
        "slug": SLUG,
        "type": _string(const=item_type),
    }
    if item_type == "topic":
        properties["kind"] = _string(enum=list(TOPIC_KINDS))
    properties.update(
        {
            "title": _string(),
            "summary": _string(),
            "lang": _string(
                "The language of the text returned: the requested one, or `id` when the "
                "item has no English text yet.",
                enum=list(LANGUAGES),
            ),
            "url": _string("The HTML page in the requested language.", format="uri"),
            "api_url": _string("This item in the API, in the requested language.", format="uri"),
            "updated_at": _string("Last change of the item or of this text.", format="date-time"),
        }
    )
    return properties


def _detail(item_type):
    properties = _summary(item_type)
    properties["website"] = {
        "type": ["string", "null"],
        "description": "The official site (topics) or the service's address (examples).",
    }
    if item_type == "topic":
        properties["package"] = {"type": ["string", "null"], "description": "The PyPI name."}
        properties["facts"] = _array(_schema("Fact"))
    properties.update(
        {
            "body_markdown": _string("Internal links look like `[Django](topic:django)`."),
            "body_html": _string("Sanitised HTML rendered from `body_markdown`."),
            "stale_translation": {
                "type": "boolean",
                "description": "The English text was made from an older Indonesian text.",
            },
            "sources": _array(_schema("Source")),
        }
    )
    if item_type == "topic":
        properties["used_by"] = _array(_schema("UsageLink"))
        properties["related"] = _array(_schema("RelatedTopic"))
    else:
        properties["uses"] = _array(_schema("UsageLink"))
    properties["backlinks"] = _array(_schema("LinkedItem"))
    return properties


PAGING = {
    "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    "total": {"type": "integer", "minimum": 0},
    "pages": {"type": "integer", "minimum": 1},
    "links": _schema("PageLinks"),
}


def _schemas():
    return {
        "Error": _object(
            {
                "error": _object(
                    {
                        "status": {"type": "integer", "minimum": 400, "maximum": 599},
                        "message": _string("A message for people; do not parse it."),
                        "request_id": _string("Equal to the `X-Request-Id` response header."),
                    }
                )
            }
        ),
        "PageLinks": _object(
            {
                "self": URL,
                "next": {"type": ["string", "null"], "format": "uri"},
                "prev": {"type": ["string", "null"], "format": "uri"},
            }
        ),
        "LinkedItem": _object(_linked_item()),
        "UsageLink": _object(
            _linked_item(note=_string("Why or how the example uses the topic; may be empty."))
        ),
        "RelatedTopic": _object(
            _linked_item(
                relation=_string(
                    "What this topic is to the linked one, e.g. Pyramid is `successor_of` "
                    "Pylons, Pylons is `predecessor_of` Pyramid.",
                    enum=list(RELATIONS),
                ),
                note=_string("May be empty."),
            )
        ),
        "Source": _object(
            {
                "title": _string(),
                "url": URL,
                "publisher": _string("May be empty."),
                "accessed": _string("The day the source was read.", format="date"),
            },
            "A work the item cites.",
        ),
        "Fact": _object(
            {
                "key": _string(enum=list(FACT_KEYS)),
                "value": _string(
                    "Language-neutral. Dates are `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; yes/no "
                    "facts are `yes`, `no` or `partial`."
                ),
            },
            "One known fact; unknown ones are left out.",
        ),
        **api_spec_guide.guide_schemas(),
        "TopicSummary": _object(_summary("topic")),
        "ExampleSummary": _object(_summary("example")),
        "Topic": _object(_detail("topic")),
        "Example": _object(_detail("example")),
        "TopicList": _object({"items": _array(_schema("TopicSummary")), **PAGING}),
        "ExampleList": _object({"items": _array(_schema("ExampleSummary")), **PAGING}),
        "SearchHit": _object(
            {
                "type": _string(enum=list(ITEM_TYPES)),
                "slug": SLUG,
                "title": _string(),
                "lang": _string("The language of the text that matched.", enum=list(LANGUAGES)),
                "snippet": _string("The matching passage as plain text."),
                "snippet_html": _string(
                    "The same passage as escaped HTML, the matches wrapped in `<mark>`."
                ),
                "url": _string(format="uri"),
                "api_url": _string(format="uri"),
            }
        ),
        "SearchResults": _object(
            {
                "query": _string(),
                "items": _array(_schema("SearchHit")),
                "suggestions": _array(_string()),
                **PAGING,
                "total_exact": {
                    "type": "boolean",
                    "description": (
                        "False for a broad query: it matched more than `total` documents, "
                        "and only the first `total` can be paged through (matches in a "
                        "title or summary first, ranked, then the others, newest first)."
                    ),
                },
            }
        ),
    }


def _parameters():
    def query(name, schema, description, required=False):
        return {
            "name": name,
            "in": "query",
            "required": required,
            "description": description,
            "schema": schema,
        }

    def slug(item_type, example):
        return {
            "name": "slug",
            "in": "path",
            "required": True,
            "description": f"The {item_type}'s slug; an old slug answers 301.",
            "schema": SLUG,
            "example": example,
        }

    return {
        "lang": query(
            "lang",
            _string(enum=list(LANGUAGES), default=DEFAULT_LANG),
            "Language of the texts and of the links returned.",
        ),
        "page": query(
            "page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            "Page number; past the last page is 404.",
        ),
        "per_page": query(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
            f"Items per page, at most {MAX_PER_PAGE} (larger is 400).",
        ),
        "kind": query("kind", _string(enum=list(TOPIC_KINDS)), "Only topics of this kind."),
        "q": query(
            "q",
            _string(minLength=1, maxLength=SEARCH_QUERY_MAX),
            "Words to look for. Only letters and digits count, everything else separates "
            "words; every word must match, as a prefix. A query without letters or digits "
            "finds nothing.",
            required=True,
        )
        | {"example": "web framework"},
        "topic_slug": slug("topic", "django"),
        "comparison_name": {
            "name": "comparison",
            "in": "path",
            "required": True,
            "description": "The comparison's name.",
            "schema": SLUG,
            "example": "web-frameworks",
        },
        "example_slug": slug("example", "spotify"),
    }


def _headers():
    return {
        "X-Request-Id": {
            "description": "Identifies the request in the server's logs.",
            "required": True,
            "schema": _string(),
        },
        "ETag": {"description": "Validator for If-None-Match.", "schema": _string()},
        "Last-Modified": {"description": "Validator for If-Modified-Since.", "schema": _string()},
        "Cache-Control": {"schema": _string()},
    }


def _error(description, **headers):
    return {
        "description": description,
        "headers": {"X-Request-Id": _ref("headers", "X-Request-Id"), **headers},
        "content": {JSON: {"schema": _schema("Error")}},
    }


def _responses():
    return {
        "NotModified": {
            "description": "Not modified: the ETag or the date sent is still current.",
            "headers": {
                "X-Request-Id": _ref("headers", "X-Request-Id"),
                "ETag": {"required": True, "schema": _string()},
                "Last-Modified": _ref("headers", "Last-Modified"),
                "Cache-Control": _ref("headers", "Cache-Control"),
            },
        },
        "MovedPermanently": {
            "description": "An old slug: the item now lives at `Location`, query string kept.",
            "headers": {
                "X-Request-Id": _ref("headers", "X-Request-Id"),
                "Location": {"required": True, "schema": URL},
            },
        },
        "BadRequest": _error(
            "A parameter is malformed, out of range, unknown (enums) or repeated, or the "
            "address is not valid UTF-8."
        ),
        "NotFound": _error("No such published item, or a page past the last one."),
        "InternalServerError": _error("An unexpected error; it has been logged."),
        "ServiceUnavailable": _error(
            "The database is unavailable; try again after `Retry-After` seconds.",
            **{"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}}},
        ),
    }


def _ok(schema, description):
    return {
        "description": description,
        "headers": {
            name: _ref("headers", name)
            for name in ("X-Request-Id", "ETag", "Last-Modified", "Cache-Control")
        },
        "content": {JSON: {"schema": schema}},
    }


def _operation(operation_id, summary, parameters, ok, errors, redirects=False):
    responses = {"200": ok}
    if redirects:
        responses["301"] = _ref("responses", "MovedPermanently")
    responses["304"] = _ref("responses", "NotModified")
    for status, name in (
        ("400", "BadRequest"),
        ("404", "NotFound"),
        ("500", "InternalServerError"),
        ("503", "ServiceUnavailable"),
    ):
        if status in errors:
            responses[status] = _ref("responses", name)
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [operation_id.split("_")[0]],
            "parameters": [_ref("parameters", name) for name in parameters],
            "responses": responses,
        }
    }


def _paths():
    content_errors = ("400", "404", "500", "503")
    return {
        "/api/v1/openapi.json": _operation(
            "meta_openapi",
            "This document",
            [],
            _ok({"type": "object"}, "The OpenAPI 3.1 document of this API."),
            ("500",),
        ),
        "/api/v1/topics": _operation(
            "topics_list",
            "Published topics, grouped by kind, then by slug",
            ["lang", "kind", "page", "per_page"],
            _ok(_schema("TopicList"), "One page of topics."),
            content_errors,
        ),
        "/api/v1/topics/{slug}": _operation(
            "topics_get",
            "One published topic with its links",
            ["topic_slug", "lang"],
            _ok(_schema("Topic"), "The topic."),
            content_errors,
            redirects=True,
        ),
        "/api/v1/examples": _operation(
            "examples_list",
            "Published examples, by slug",
            ["lang", "page", "per_page"],
            _ok(_schema("ExampleList"), "One page of examples."),
            content_errors,
        ),
        "/api/v1/examples/{slug}": _operation(
            "examples_get",
            "One published example with the topics it uses",
            ["example_slug", "lang"],
            _ok(_schema("Example"), "The example."),
            content_errors,
            redirects=True,
        ),
        **api_spec_guide.guide_paths(content_errors),
        "/api/v1/search": _operation(
            "search",
            "Full-text search over published topics and examples",
            ["q", "lang", "page", "per_page"],
            _ok(_schema("SearchResults"), "One page of results, best first."),
            content_errors,
        ),
    }


@functools.cache
def openapi_document(server_url):
    """The OpenAPI document, with ``server_url`` (the public base URL) as its server.

    Cached: treat the result as read-only.
    """
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pybackend API",
            "version": API_VERSION,
            "description": DESCRIPTION,
        },
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "topics", "description": "Languages, frameworks, libraries, messaging."},
            {"name": "examples", "description": "Services built with them."},
            {"name": "comparisons", "description": "Topics side by side, from their facts."},
            {"name": "glossary"},
            {"name": "search"},
            {"name": "meta"},
        ],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "headers": _headers(),
            "responses": _responses(),
        },
    }
