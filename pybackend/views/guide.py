"""The "which one should I use" guide, the comparison pages and the glossary."""

from pyramid.httpexceptions import HTTPNotFound

from ..security import VIEW
from ..services import comparisons
from ..services.seed import glossary
from . import ItemPage, localized_view_config


def _columns(request, comparison):
    items = comparisons.compared_items(request.dbsession, comparison)
    present = {item.slug for item in items}
    for item in items:
        request.show(f"f{item.id}")  # the facts it shows
    for slug in comparison.slugs:
        if slug not in present:
            request.show(f"u:topic:{slug}")  # comes back when the topic is published
    return [ItemPage(request, item) for item in items], [
        slug for slug in comparison.slugs if slug not in present
    ]


@localized_view_config(
    route_name="guide",
    renderer="pybackend:templates/guide/guide.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def guide(request):
    item = comparisons.guide_item(request.dbsession)
    if item is None:
        request.show(f"u:topic:{comparisons.GUIDE_SLUG}")
        request.show(f"u:example:{comparisons.GUIDE_SLUG}")
    return {
        "comparisons": comparisons.COMPARISONS,
        "guide_page": ItemPage(request, item) if item is not None else None,
    }


@localized_view_config(
    route_name="comparison",
    renderer="pybackend:templates/guide/comparison.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def comparison(request):
    found = comparisons.BY_NAME.get(request.matchdict["comparison"])
    if found is None:
        raise HTTPNotFound()
    columns, missing = _columns(request, found)
    return {
        "comparison": found,
        "columns": columns,
        "missing": missing,
        "rows": comparisons.rows(found, [page.item for page in columns]),
    }


@localized_view_config(
    route_name="glossary",
    renderer="pybackend:templates/guide/glossary.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def glossary_page(request):
    terms = sorted(glossary(), key=lambda t: t["id" if request.locale_name == "id" else "en"])
    return {"terms": terms, "anchor": comparisons.term_anchor}
