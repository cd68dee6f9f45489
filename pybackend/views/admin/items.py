"""Topics and examples in the editors' area: list, create, edit (with merge on conflict),
preview, delete to the trash."""

from types import SimpleNamespace

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.renderers import render_to_response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ... import labels, security
from ...forms import DeleteForm, ExampleForm, TopicForm
from ...i18n import _
from ...models import Item, ItemText, Link, Reference
from ...models.source import FACT_KEYS
from ...services import autosave, bulk, content, editing, lookup, merge, preview_links, review
from ...services.diff import word_diff
from ...source_forms import format_sources, parse_sources
from .. import Paginator
from ..errors import failed_save_page
from . import admin_view_config, page_of_rows, rows_in_order, single_param
from . import autosave as autosave_views
from . import review as review_views
from . import schedule as schedule_views

FORMS = {"topic": TopicForm, "example": ExampleForm}
EMPTY_LINK_ROWS = 3
MERGE_FIELDS = editing.FORM_FIELDS
ITEMS_PER_PAGE = 50
EDIT_TEMPLATE = "pybackend:templates/admin/items/edit.jinja2"


def item_type_of(request):
    return request.matchdict["item_type"][:-1]  # topics -> topic


def form_data(item):
    """The form's initial values from an item (or a revision snapshot of it)."""
    snap = editing.snapshot(item) if isinstance(item, Item) else item
    texts = snap["texts"]
    data = {name: snap.get(name) or "" for name in editing.ITEM_FIELDS}
    for lang, prefix in (("id", ""), ("en", "en_")):
        for name in editing.TEXT_FIELDS:
            data[prefix + name] = texts.get(lang, {}).get(name, "")
    data["links"] = [
        {
            "target": link["target_slug"],
            "kind": link["kind"],
            "note_id": link["note_id"],
            "note_en": link["note_en"],
        }
        for link in snap["links"]
    ]
    # Revisions made before sources and facts existed have neither.
    data["sources"] = format_sources(snap.get("sources", []))
    for key in FACT_KEYS:
        data[f"fact_{key}"] = snap.get("facts", {}).get(key, "")
    return data


def form_data_empty():
    """The initial values of a new item's form."""
    return dict.fromkeys(MERGE_FIELDS, "") | {"links": []}


def build_form(request, item_type, item=None, formdata=None, data=None):
    form_class = FORMS[item_type]
    data = dict(data or {})
    links = data.pop("links", [])
    rows = len(links) + EMPTY_LINK_ROWS
    if formdata is not None:
        rows = max(rows, _posted_rows(formdata))
    form = form_class(
        formdata,
        dbsession=request.dbsession,
        item=item,
        item_type=item_type,
        data={**data, "links": links + [{}] * (rows - len(links))},
    )
    if item is not None and formdata is None:
        form.version.data = str(item.version)
    return form


def _posted_rows(formdata):
    indexes = {
        key.split("-")[1]
        for key in formdata
        if key.startswith("links-") and key.count("-") == 2 and key.split("-")[1].isdigit()
    }
    return min(len(indexes), 50)


def draft_from(form):
    return editing.Draft(
        fields={
            name: getattr(form, name).data or ""
            for name in editing.ITEM_FIELDS
            if hasattr(form, name)
        },
        texts={
            "id": {n: getattr(form, n).data or "" for n in editing.TEXT_FIELDS},
            "en": {n: getattr(form, "en_" + n).data or "" for n in editing.TEXT_FIELDS},
        },
        links=form.link_rows(),
        translation_current=bool(form.translation_current.data),
        sources=parse_sources(form.sources.data)[0],
        facts={
            key: getattr(form, f"fact_{key}").data or ""
            for key in FACT_KEYS
            if hasattr(form, f"fact_{key}")
        },
    )


def _impact(dbsession, item):
    """What deleting ``item`` would touch: links to it and bodies that mention it."""
    used_by = dbsession.scalar(
        select(func.count()).select_from(Link).where(Link.target_id == item.id)
    )
    # Counted, not loaded: a popular topic is mentioned by thousands of pages.
    linked_from = dbsession.scalar(
        select(func.count())
        .select_from(Reference)
        .join(Item, Item.id == Reference.source_id)
        .where(
            Reference.target_id == item.id,
            Reference.source_id != item.id,
            Item.status == "published",
            Item.deleted_at.is_(None),
        )
    )
    return {"links_in": used_by, "backlinks": linked_from}


def _list_texts():
    # The list shows titles: no bodies (up to 100 000 characters each) are read.
    return selectinload(Item.texts).load_only(ItemText.lang, ItemText.title)


def list_filters(request, params=None):
    """(q, status, translation) of a list, from the query string (or ``params``); 400 if bad."""
    return (
        single_param(request, "q", params=params).strip()[:200],
        single_param(request, "status", ("", "draft", "published"), params),
        single_param(request, "translation", ("", "missing", "stale"), params),
    )


def live_ids(item_type, filters):
    """The ids of the live items of a list's filters, by slug (one index range)."""
    where = [getattr(Item, name) == value for name, value in filters.items()]
    return (
        select(Item.id)
        .where(Item.type == item_type, Item.deleted_at.is_(None), *where)
        .order_by(Item.slug)
    )


@admin_view_config(route_name="admin.items", renderer="pybackend:templates/admin/items/list.jinja2")
def item_list(request):
    """Live items by slug, ITEMS_PER_PAGE a page; ``q`` matches a slug or title prefix."""
    item_type = item_type_of(request)
    query, status, translation = list_filters(request)
    dbsession = request.dbsession
    params = {"q": query, "status": status, "translation": translation}
    filters = {name: value for name, value in params.items() if name != "q" and value}
    capped = False
    if query:
        ids, capped = lookup.search_ids(dbsession, item_type, query, filters)
        pager, items = Paginator.fetch(
            request,
            ITEMS_PER_PAGE,
            lambda offset, limit: rows_in_order(
                dbsession, Item, ids[offset : offset + limit], (_list_texts(),)
            ),
            params,
        )
    else:
        ids = live_ids(item_type, filters)
        pager, items = Paginator.fetch(
            request,
            ITEMS_PER_PAGE,
            lambda offset, limit: page_of_rows(
                dbsession, Item, ids, offset, limit, (_list_texts(),)
            ),
            params,
        )
    return {
        "admin_section": request.matchdict["item_type"],
        "items": items,
        "pager": pager,
        "item_type": item_type,
        "status": status,
        "translation": translation,
        "query": query,
        "capped": capped,
        "search_cap": lookup.SEARCH_CAP,
        "bulk_actions": labels.choices(
            labels.BULK_ACTION, bulk.actions_for(request.dbsession, request.identity)
        ),
    }


@admin_view_config(
    route_name="admin.item.new",
    renderer=EDIT_TEMPLATE,
    request_method=("GET", "HEAD", "POST"),
)
def item_new(request):
    item_type = item_type_of(request)
    posted = request.method == "POST"
    form = build_form(request, item_type, formdata=request.POST if posted else None)
    result = {
        "admin_section": request.matchdict["item_type"],
        "form": form,
        "item": None,
        "item_type": item_type,
        "preview": None,
        "conflict": None,
        "recovery": None,
        "review": review_views.context(request, None),
        "fact_keys": FACT_KEYS,
    }
    if not posted:
        result["recovery"], result["form"] = autosave_views.recovery(
            request, form, item_type, None, form_data_empty()
        )
        return result
    action = request.POST.get("action", "draft")
    if not form.validate() or action not in ("draft", "publish", "preview", "submit"):
        request.response.status_int = 400
        return result
    if action == "preview":
        result["preview"] = _preview(request, form)
        return result
    if not review_views.may_publish(request, action, result):
        return result
    item = editing.create_item(
        request.dbsession,
        item_type,
        draft_from(form),
        request.identity,
        comment=form.comment.data,
        publish=action == "publish",
    )
    autosave.discard(request.dbsession, request.identity, item_type, None)
    if action == "submit":
        review_views.submit(request, item, form.comment.data)
    security.flash(request, _("Tersimpan: ${title}.", mapping={"title": form.title.data}))
    return HTTPSeeOther(
        location=request.route_path(
            "admin.item.edit", item_type=request.matchdict["item_type"], id=item.id
        )
    )


@failed_save_page("admin.item.new", "admin.item.edit")
def failed_save(request):
    """The form again, with everything the editor sent, after a save the database refused.

    Built from the POST alone: the database may be away, and nothing of the failed
    transaction is left to read. The form keeps the version it was loaded at, so sending
    it again saves it, or shows the merge screen (409) if someone saved in between.
    """
    item_type = item_type_of(request)
    form = build_form(request, item_type, formdata=request.POST)
    item = None
    if "id" in request.matchdict:
        item = SimpleNamespace(
            id=int(request.matchdict["id"]), type=item_type, slug=form.slug.data or "", status=None
        )
    value = {
        "admin_section": request.matchdict["item_type"],
        "form": form,
        "item": item,
        "item_type": item_type,
        "preview": None,
        "conflict": None,
        "recovery": None,
        # Unknown while the database is away: the buttons are offered, the save decides.
        "review": {"required": False, "may_publish": True, "request": None},
        "fact_keys": FACT_KEYS,
        "save_failed": True,
    }
    return render_to_response(EDIT_TEMPLATE, value, request=request)


def _preview(request, form):
    return {
        "id": content.render_body(request, form.body.data or ""),
        "en": content.render_body(request, form.en_body.data or "", lang="en"),
    }


@admin_view_config(
    route_name="admin.item.edit",
    renderer=EDIT_TEMPLATE,
    request_method=("GET", "HEAD", "POST"),
)
def item_edit(request):
    item = request.context.obj
    if item.deleted_at is not None:
        security.flash(
            request, _("Halaman ini ada di tempat sampah; pulihkan dulu untuk menyunting.")
        )
        return HTTPSeeOther(location=request.route_path("admin.trash"))
    posted = request.method == "POST"
    review_state = review_views.context(request, item)
    saved = None
    if not posted:
        saved = form_data(item)
        proposal = review_state["proposal"]
        if proposal is not None and not review_state["may_publish"]:
            # The editor goes on from the changes that wait for review, not from the
            # published text: a save sends them for review again.
            saved = form_data(proposal.data)
    form = build_form(
        request, item.type, item=item, formdata=request.POST if posted else None, data=saved
    )
    result = {
        "admin_section": item.type + "s",
        "form": form,
        "item": item,
        "item_type": item.type,
        "preview": None,
        "conflict": None,
        "recovery": None,
        "review": review_state,
        "preview_live": preview_links.is_live,
        "fact_keys": FACT_KEYS,
    }
    if not posted:
        result["recovery"], result["form"] = autosave_views.recovery(
            request, form, item.type, item, saved
        )
        return _page(request, item, result)
    action = request.POST.get("action", "save")
    if not form.validate() or action not in ("save", "draft", "publish", "preview", "submit"):
        request.response.status_int = 400
        return _page(request, item, result)
    if action == "preview":
        result["preview"] = _preview(request, form)
        return _page(request, item, result)
    loaded = editing.parse_version(form.version.data)
    if loaded != item.version:
        return _page(request, item, _conflict(request, item, form, result))
    if not review_views.may_publish(request, action, result):
        return _page(request, item, result)
    draft = draft_from(form)
    _apply_merge_choices(request, item, draft)
    if action in ("save", "submit") and review.must_propose(
        request.dbsession, item, request.identity
    ):
        review_views.propose(request, item, loaded, draft, form.comment.data)
    else:
        publish = {"save": None, "draft": False, "publish": True, "submit": None}[action]
        editing.update_item(
            request.dbsession,
            item,
            loaded,
            draft,
            request.identity,
            comment=form.comment.data,
            publish=publish,
        )
        if action == "submit":
            review_views.submit(request, item, form.comment.data)
        security.flash(request, _("Tersimpan: ${title}.", mapping={"title": form.title.data}))
    autosave.discard(request.dbsession, request.identity, item.type, item)
    return HTTPSeeOther(
        location=request.route_path("admin.item.edit", item_type=item.type + "s", id=item.id)
    )


def _page(request, item, result):
    """What only the rendered form shows (a save that succeeds redirects without them)."""
    result["schedule"] = schedule_views.context(request, item)
    result["previews"] = preview_links.for_item(request.dbsession, item)
    return result


def _apply_merge_choices(request, item, draft):
    """On the merge screen an editor may take the saved text of a field instead of theirs."""
    taken = [name for name in MERGE_FIELDS if request.POST.get(f"take-{name}") == "saved"]
    if not taken:
        return
    saved = form_data(item)
    for name in taken:
        if name in editing.ITEM_FIELDS:
            draft.fields[name] = saved[name]
        elif name == "sources":
            draft.sources = parse_sources(saved[name])[0]
        elif name.startswith("fact_"):
            draft.facts[name[5:]] = saved[name]
        else:
            lang, field = ("en", name[3:]) if name.startswith("en_") else ("id", name)
            draft.texts[lang][field] = saved[name]


def _conflict(request, item, form, result):
    """409: someone saved since this form was loaded. Show both, lose nothing (DATA-1).

    With the revision the editor started from, fields only one side changed are merged
    quietly (theirs or ours); fields both changed are shown side by side with a choice.
    """
    mine = {name: getattr(form, name).data or "" for name in MERGE_FIELDS if hasattr(form, name)}
    saved = form_data(item)
    revision = merge.revision_at(request.dbsession, item, editing.parse_version(form.version.data))
    base = form_data(revision.data) if revision is not None else None
    merged, conflicting = merge.three_way(mine, saved, base)
    for name, value in merged.items():
        if value != mine[name]:
            getattr(form, name).data = value  # only they changed it: the form takes theirs
    conflicts = [
        {
            "name": name,
            "label": getattr(form, name).label.text,
            "saved": saved.get(name) or "",
            "mine": mine[name],
            "diff": word_diff(saved.get(name) or "", mine[name]),
        }
        for name in conflicting
    ]
    form.version.data = str(item.version)
    last = merge.last_revision(request.dbsession, item)
    request.response.status_int = 409
    result["conflict"] = {"fields": conflicts, "revision": last}
    return result


@admin_view_config(
    route_name="admin.item.delete",
    renderer="pybackend:templates/admin/items/delete.jinja2",
    request_method=("GET", "HEAD", "POST"),
)
def item_delete(request):
    item = request.context.obj
    if item.deleted_at is not None:
        return HTTPSeeOther(location=request.route_path("admin.trash"))
    posted = request.method == "POST"
    form = DeleteForm(request.POST if posted else None, data={"version": str(item.version)})
    result = {
        "admin_section": item.type + "s",
        "item": item,
        "form": form,
        "impact": _impact(request.dbsession, item),
    }
    if not posted:
        return result
    if not form.validate():
        request.response.status_int = 400
        return result
    try:
        editing.delete_item(
            request.dbsession, item, form.version.data, request.identity, comment=form.comment.data
        )
    except editing.Conflict:
        request.response.status_int = 409
        result["stale"] = True
        form.version.data = str(item.version)
        return result
    security.flash(request, _("Dipindahkan ke tempat sampah. Anda dapat memulihkannya kapan saja."))
    return HTTPSeeOther(location=request.route_path("admin.items", item_type=item.type + "s"))


@admin_view_config(route_name="admin.preview", renderer="json", request_method="POST")
def preview(request):
    """The body rendered through the reader pipeline, for the live preview script."""
    body = request.POST.get("body", "")
    lang = request.POST.get("lang", "id")
    if len(body) > 100_000 or lang not in ("id", "en"):
        raise HTTPBadRequest(_("Teks terlalu panjang."))
    request.response.cache_control = "no-store"
    return {"html": content.render_body(request, body, lang=lang)}
