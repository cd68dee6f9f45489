from ..security import VIEW
from ..services import content
from . import ItemPage, Paginator, item_pages, localized_view_config, own_page

EXAMPLES_PER_PAGE = 30


@localized_view_config(
    route_name="examples",
    renderer="pybackend:templates/examples/list.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def example_list(request):
    request.show("l:example")
    total = content.count_public(request.dbsession, "example")
    pager = Paginator(request, total, EXAMPLES_PER_PAGE)
    examples = content.list_public(
        request.dbsession, "example", offset=pager.offset, limit=pager.per_page
    )
    return {"examples": item_pages(request, examples), "pager": pager}


@localized_view_config(
    route_name="example",
    renderer="pybackend:templates/examples/detail.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def example_detail(request):
    example = request.context.item
    dbsession = request.dbsession
    return {
        "page": own_page(request, example),
        "uses": [
            (link, ItemPage(request, other)) for link, other in content.uses(dbsession, example)
        ],
        "backlinks": item_pages(request, content.backlinks(dbsession, example)),
    }
