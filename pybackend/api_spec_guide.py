"""The OpenAPI parts of the comparisons and the glossary (see api_spec.py)."""

from .models.source import FACT_KEYS


def guide_schemas():
    """Their schemas, built with api_spec's helpers (imported here: it imports this)."""
    from . import api_spec as h

    return {
        "ComparisonSummary": h._object(
            {
                "name": h.SLUG,
                "title": h._string(),
                "summary": h._string(),
                "url": h._string("The HTML page in the requested language.", format="uri"),
                "api_url": h.URL,
            }
        ),
        "ComparisonList": h._object({"items": h._array(h._schema("ComparisonSummary"))}),
        "Comparison": h._object(
            {
                "name": h.SLUG,
                "title": h._string(),
                "summary": h._string(),
                "url": h._string("The HTML page in the requested language.", format="uri"),
                "api_url": h.URL,
                "facts": h._array(h._string(enum=list(FACT_KEYS))),
                "items": h._array(h._object(h._linked_item(facts=h._array(h._schema("Fact"))))),
                "missing": h._array(h.SLUG),
            }
        ),
        "Glossary": h._object(
            {
                "items": h._array(
                    h._object(
                        {
                            "id": h._string("The Indonesian term."),
                            "en": h._string("The English term."),
                            "note": h._string("In the requested language."),
                            "url": h._string("The term on the glossary page.", format="uri"),
                        }
                    )
                )
            }
        ),
    }


def guide_paths(errors):
    from . import api_spec as h

    return {
        "/api/v1/comparisons": h._operation(
            "comparisons_list",
            "The comparison pages",
            ["lang"],
            h._ok(h._schema("ComparisonList"), "Every comparison."),
            errors,
        ),
        "/api/v1/comparisons/{comparison}": h._operation(
            "comparisons_get",
            "One comparison: its topics side by side, with their facts",
            ["comparison_name", "lang"],
            h._ok(h._schema("Comparison"), "The comparison; `missing` lists topics not published."),
            errors,
        ),
        "/api/v1/glossary": h._operation(
            "glossary_list",
            "The Indonesian terms the site uses, with their English equivalents",
            ["lang"],
            h._ok(h._schema("Glossary"), "Every term."),
            errors,
        ),
    }
