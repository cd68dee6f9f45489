from pyramid.httpexceptions import HTTPMovedPermanently
from pyramid.view import view_config

from ..security import VIEW
from ..services import content
from . import item_pages, localized_view_config

TOPICS_PER_KIND_ON_HOME = 8


@localized_view_config(
    route_name="home",
    renderer="pybackend:templates/home.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def home(request):
    request.show("l:topic")
    request.show("l:example")
    groups = [
        (kind, item_pages(request, topics), total)
        for kind, topics, total in content.topics_by_kind(
            request.dbsession, TOPICS_PER_KIND_ON_HOME
        )
    ]
    examples = item_pages(request, content.list_public(request.dbsession, "example", limit=12))
    return {"groups": groups, "examples": examples}


@view_config(route_name="en.home.noslash", permission=VIEW, request_method=("GET", "HEAD"))
def english_home_without_slash(request):
    return HTTPMovedPermanently(location=request.absolute_url(request.route_path("en.home")))
