from pyramid.httpexceptions import HTTPBadRequest

from ..i18n import _
from ..models.item import TOPIC_KINDS
from ..models.source import FACT_KEYS
from ..security import VIEW
from ..services import content
from . import ItemPage, Paginator, item_pages, localized_view_config, own_page

TOPICS_PER_PAGE = 30


@localized_view_config(
    route_name="topics",
    renderer="pybackend:templates/topics/list.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def topic_list(request):
    kinds = request.GET.getall("kind")
    if len(kinds) > 1 or (kinds and kinds[0] not in TOPIC_KINDS):
        raise HTTPBadRequest(_("Jenis topik tidak dikenal."))
    kind = kinds[0] if kinds else None
    request.show("l:topic")
    total = content.count_public(request.dbsession, "topic", kind=kind)
    pager = Paginator(request, total, TOPICS_PER_PAGE)
    topics = item_pages(
        request,
        content.list_public(
            request.dbsession, "topic", offset=pager.offset, limit=pager.per_page, kind=kind
        ),
    )
    groups = {}
    for page in topics:
        groups.setdefault(page.item.kind, []).append(page)
    return {"groups": list(groups.items()), "pager": pager, "kind": kind, "kinds": TOPIC_KINDS}


@localized_view_config(
    route_name="topic",
    renderer="pybackend:templates/topics/detail.jinja2",
    permission=VIEW,
    request_method=("GET", "HEAD"),
)
def topic_detail(request):
    topic = request.context.item
    dbsession = request.dbsession
    used_by, related = content.topic_links(dbsession, topic)
    return {
        "fact_keys": FACT_KEYS,
        "page": own_page(request, topic),
        "used_by": [(link, ItemPage(request, other)) for link, other in used_by],
        "related": [
            (link, ItemPage(request, other), outgoing) for link, other, outgoing in related
        ],
        "backlinks": item_pages(request, content.backlinks(dbsession, topic)),
    }
