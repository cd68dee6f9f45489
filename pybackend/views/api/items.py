"""Topics and examples as JSON: one serializer per resource type, lists and details."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

from ...metadata import item_changed_at
from ...models.item import SLUG_MAX, SOURCE_LANGUAGE, TOPIC_KINDS
from ...models.source import FACT_KEYS
from ...services import content
from . import Paging, api_error, api_view_config, choice_param, lang_param, lang_query, rfc3339


def fact_list(topic):
    """A topic's known facts, in FACT_KEYS order."""
    return [
        {"key": key, "value": topic.facts[key].value} for key in FACT_KEYS if key in topic.facts
    ]


class AbsoluteLinks:
    """What ``content.render_body`` needs of a request, linking to absolute URLs in ``lang``."""

    def __init__(self, request, lang):
        self.request = request
        self.lang = lang
        self.dbsession = request.dbsession
        self.show = request.show

    def lroute_path(self, name, lang=None, **kw):
        path = self.request.lroute_path(name, lang=lang or self.lang, **kw)
        return self.request.absolute_url(path)


class ItemSerializer:
    """Items as JSON in the requested language, falling back to the Indonesian text."""

    def __init__(self, request, lang):
        self.request = request
        self.lang = lang
        self.dbsession = request.dbsession

    def urls(self, item):
        request = self.request
        page = request.lroute_path(item.type, lang=self.lang, slug=item.slug)
        api = request.route_path(f"api.{item.type}", slug=item.slug, _query=lang_query(self.lang))
        return {"url": request.absolute_url(page), "api_url": request.absolute_url(api)}

    def linked(self, item, **extra):
        """A short reference to another item, for link lists."""
        self.request.show(f"i{item.id}", item_changed_at(item))
        text, _ = content.text_for(item, self.lang)
        return {
            "type": item.type,
            "slug": item.slug,
            "title": text.title if text else item.slug,
            **extra,
            **self.urls(item),
        }

    def summary(self, item):
        self.request.show(f"i{item.id}", item_changed_at(item))
        text, fallback = content.text_for(item, self.lang)
        updated = [item.updated_at] + ([text.updated_at] if text else [])
        return {
            "slug": item.slug,
            "type": item.type,
            **self.own_fields(item),
            "title": text.title if text else item.slug,
            "summary": text.summary if text else "",
            "lang": SOURCE_LANGUAGE if fallback else self.lang,
            **self.urls(item),
            "updated_at": max(rfc3339(moment) for moment in updated),
        }

    def detail(self, item):
        self.request.show(f"p{item.id}")
        text, _ = content.text_for(item, self.lang)
        body = text.body if text else ""
        links = AbsoluteLinks(self.request, self.lang)
        return {
            **self.summary(item),
            "website": item.website or None,
            **self.own_detail_fields(item),
            "body_markdown": body,
            "body_html": str(content.render_body(links, body)),
            "stale_translation": content.is_stale(item, self.lang),
            "sources": [source.as_dict() for source in item.sources],
            **self.links(item),
            "backlinks": [self.linked(other) for other in content.backlinks(self.dbsession, item)],
        }

    def own_fields(self, item):
        return {}

    def own_detail_fields(self, item):
        return {}

    def links(self, item):
        return {}


class TopicSerializer(ItemSerializer):
    def own_fields(self, topic):
        return {"kind": topic.kind}

    def own_detail_fields(self, topic):
        return {
            "package": topic.package or None,
            "facts": fact_list(topic),
        }

    def links(self, topic):
        used_by, related = content.topic_links(self.dbsession, topic)
        return {
            "used_by": [self.linked(other, note=link.note(self.lang)) for link, other in used_by],
            "related": [
                self.linked(other, relation=relation(link, outgoing), note=link.note(self.lang))
                for link, other, outgoing in related
            ],
        }


class ExampleSerializer(ItemSerializer):
    def links(self, example):
        return {
            "uses": [
                self.linked(other, note=link.note(self.lang))
                for link, other in content.uses(self.dbsession, example)
            ]
        }


SERIALIZERS = {"topic": TopicSerializer, "example": ExampleSerializer}


def relation(link, outgoing):
    """What the item is to the other end of ``link``."""
    if link.kind == "successor_of" and not outgoing:
        return "predecessor_of"
    if link.kind == "built_on" and not outgoing:
        return "foundation_of"
    return link.kind


def item_list(request, item_type, kind_filter=False):
    lang = lang_param(request)
    kind = choice_param(request, "kind", TOPIC_KINDS) if kind_filter else None
    paging = Paging(request)
    request.show(f"l:{item_type}")
    dbsession = request.dbsession
    total = content.count_public(dbsession, item_type, kind=kind)
    paging.check(total)
    items = content.list_public(
        dbsession, item_type, offset=paging.offset, limit=paging.per_page, kind=kind
    )
    serializer = SERIALIZERS[item_type](request, lang)
    query = lang_query(lang) + ([("kind", kind)] if kind else [])
    return paging.body([serializer.summary(item) for item in items], total, query)


def item_detail(request, item_type):
    lang = lang_param(request)
    slug = request.matchdict["slug"]
    # Pyramid's route regex ends in "$", which also matches before a final newline.
    if len(slug) > SLUG_MAX or not request.environ["PATH_INFO"].endswith("/" + slug):
        raise api_error(HTTPNotFound, f"There is no published {item_type} with this slug.")
    item = content.public_item(request.dbsession, item_type, slug)
    if item is None:
        current = content.renamed_item_slug(request.dbsession, item_type, slug)
        if current is None:
            raise api_error(HTTPNotFound, f"There is no published {item_type} with this slug.")
        path = request.route_path(
            f"api.{item_type}", slug=current, _query=list(request.GET.items())
        )
        response = Response(status=301, location=request.absolute_url(path))
        del response.content_type  # no body
        return response
    return SERIALIZERS[item_type](request, lang).detail(item)


@api_view_config("api.topics")
def topic_list(request):
    return item_list(request, "topic", kind_filter=True)


@api_view_config("api.topic")
def topic_detail(request):
    return item_detail(request, "topic")


@api_view_config("api.examples")
def example_list(request):
    return item_list(request, "example")


@api_view_config("api.example")
def example_detail(request):
    return item_detail(request, "example")
