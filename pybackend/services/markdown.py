"""The one Markdown pipeline: markdown-it-py (js-default) → Pygments → internal links → nh3.

Bodies link to other pages by slug, ``[Django](topic:django)`` or
``[Instagram](example:instagram)``; those links are resolved when the page is
rendered, so they follow renames.
"""

import functools
import html
import re

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.anchors.index import slugify
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

INTERNAL_SCHEMES = ("topic", "example")
# ![alt text](image:<sha256>.png): an uploaded image (services/images.py), by content hash.
IMAGE_SCHEME = "image:"
EXTERNAL_REL = "noopener noreferrer nofollow"
_INTERNAL_RE = re.compile(r"^(topic|example):([a-z0-9]+(?:-[a-z0-9]+)*)$")

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "div", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "img", "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
    "ol": {"start"},
    # Classes come only from our own highlighter: raw HTML is off in markdown-it.
    "code": {"class"},
    # tabindex: keyboard users can scroll a wide code block.
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    # Heading anchors (mdit-py-plugins' anchors plugin), linked from the contents list.
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
# The ids the page templates use around a body: a heading never takes one of them.
RESERVED_IDS = frozenset(
    {"page-title", "main", "toc", "toc-title", "sources", "sources-title", "facts", "updated",
     "used-by", "related-topics", "backlinks", "uses", "content", "search"}
)  # fmt: skip
# A page whose body has at least this many sections gets a table of contents.
TOC_MIN_HEADINGS = 3

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    # Our renderer puts rel on outgoing links only; nothing else can set it.
    link_rel=None,
    tag_attribute_values={
        "a": {"rel": {EXTERNAL_REL}, "class": {"header-anchor"}},
        "pre": {"tabindex": {"0"}},
        "div": {"tabindex": {"0"}},
    },
    strip_comments=True,
)

_formatter = HtmlFormatter(nowrap=True)


def clean(fragment):
    """Sanitise an HTML fragment; idempotent: clean(clean(x)) == clean(x)."""
    return _cleaner.clean(fragment)


@functools.lru_cache(maxsize=64)
def _lexer(language):
    # Looking a lexer up by name walks every lexer Pygments has: a quarter of a body's cost.
    try:
        return get_lexer_by_name(language) if language else None
    except ClassNotFound:
        return None


def _highlight(code, lang, attrs):
    language = (lang or "").strip().lower()
    lexer = _lexer(language)
    body = html.escape(code) if lexer is None else pygments_highlight(code, lexer, _formatter)
    css_lang = re.sub(r"[^a-z0-9_+-]", "", language)
    code_class = f' class="language-{css_lang}"' if css_lang else ""
    return f'<pre class="highlight" tabindex="0"><code{code_class}>{body}</code></pre>\n'


def _heading_slug(title):
    slug = slugify(title) or "section"
    return f"{slug}-section" if slug in RESERVED_IDS else slug


_md = MarkdownIt("js-default", {"highlight": _highlight})
# Levels 1-3: a body that starts at # is shifted down one level below.
_md.use(anchors_plugin, min_level=1, max_level=3, slug_func=_heading_slug, permalink=True,
        permalinkSymbol="#")  # fmt: skip


def _table_open(renderer, tokens, idx, options, env):
    # A wide table scrolls inside its own box, which keyboard users can focus.
    return '<div class="table-scroll" tabindex="0">' + renderer.renderToken(
        tokens, idx, options, env
    )


def _table_close(renderer, tokens, idx, options, env):
    return renderer.renderToken(tokens, idx, options, env) + "</div>"


_md.add_render_rule("table_open", _table_open)
_md.add_render_rule("table_close", _table_close)


def internal_target(href):
    """(type, slug) for an internal link such as ``topic:django``, else None."""
    match = _INTERNAL_RE.match(href or "")
    return (match.group(1), match.group(2)) if match else None


def _link_tokens(tokens):
    for token in tokens:
        if token.children:
            yield from _link_tokens(token.children)
        elif token.type == "link_open":
            yield token


def _image_tokens(tokens):
    for token in tokens:
        if token.type == "image":
            yield token
        elif token.children:
            yield from _image_tokens(token.children)


# Bounded by count, and each entry keeps its body alive: a few thousand long bodies would
# be tens of MB per process. With pages rendered on write, a body is rendered about once
# per change; these hold what one request or one feed asks for several times.
@functools.lru_cache(maxsize=1024)
def image_problems(body):
    """(an image has no alt text, the uploaded images' names in order of appearance)."""
    missing_alt = False
    names = {}
    for token in _image_tokens(_md.parse(body or "")):
        if not token.content.strip():
            missing_alt = True
        src = token.attrGet("src") or ""
        if src.startswith(IMAGE_SCHEME):
            names[src[len(IMAGE_SCHEME) :]] = None
    return missing_alt, tuple(names)


def image_names(body):
    return image_problems(body)[1]


@functools.lru_cache(maxsize=1024)
def internal_targets(body):
    """Every (type, slug) the body links to, in order of first appearance."""
    found = {}
    for token in _link_tokens(_md.parse(body or "")):
        target = internal_target(token.attrGet("href"))
        if target:
            found[target] = None
    return tuple(found)


def render(body, resolved):
    """Render ``body`` to safe HTML.

    ``resolved`` maps each (type, slug) the body links to, to the URL path of the
    page now (None when there is no such public page). Pass it as a tuple of pairs:
    the result is cached on exactly the inputs it depends on.
    """
    return render_document(body, resolved)[0]


def render_document(body, resolved):
    """(safe HTML, table of contents) of ``body``; see :func:`render`.

    The contents are ``(level, id, text)`` for each h2 and h3, as the page shows them;
    empty when the body has fewer than TOC_MIN_HEADINGS sections.
    """
    return _render(
        body or "", tuple(sorted(resolved.items())) if isinstance(resolved, dict) else resolved
    )


def _contents(tokens):
    entries = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3") and token.attrGet("id"):
            inline = tokens[index + 1]
            text = "".join(
                child.content
                for child in inline.children or ()
                if child.type in ("text", "code_inline")
            ).strip()
            entries.append((int(token.tag[1]), token.attrGet("id"), text))
    if sum(1 for level, _, _ in entries if level == 2) < TOC_MIN_HEADINGS:
        return ()
    return tuple(entries)


@functools.lru_cache(maxsize=256)  # body and HTML: the largest entries of the three
def _render(body, resolved):
    urls = dict(resolved)
    tokens = _md.parse(body)
    shift = any(t.type == "heading_open" and t.tag == "h1" for t in tokens)
    for token in tokens:
        # The page title is the only h1; a body's headings start at h2.
        if shift and token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 1)}"
    for inline in (t for t in tokens if t.children):
        opened = []
        for token in inline.children:
            if token.type == "image":
                _image(token, urls)
            elif token.type == "link_open":
                opened.append(token)
                href = token.attrGet("href") or ""
                if href.startswith("#"):
                    continue  # a heading's own anchor, or a link within the page
                target = internal_target(href)
                url = urls.get(target) if target else None
                if url:
                    token.attrSet("href", url)
                elif not target and href.split(":", 1)[0] not in INTERNAL_SCHEMES:
                    token.attrSet("rel", EXTERNAL_REL)
                elif target or href.split(":", 1)[0] in INTERNAL_SCHEMES:
                    # No such public page (yet): keep the words, drop the link.
                    token.tag, token.attrs = "span", {"class": "missing-link"}
            elif token.type == "link_close" and opened:
                token.tag = opened.pop().tag
    return clean(_md.renderer.render(tokens, _md.options, {})), _contents(tokens)


def _image(token, urls):
    """An uploaded image gets its address and size (no layout shift); an unknown one goes."""
    src = token.attrGet("src") or ""
    if not src.startswith(IMAGE_SCHEME):
        return
    found = urls.get(("image", src[len(IMAGE_SCHEME) :]))
    if found is None:
        token.type, token.tag, token.attrs, token.children = "text", "", {}, None
        token.content = token.content or ""
        return
    url, width, height = found
    token.attrSet("src", url)
    token.attrSet("width", str(width))
    token.attrSet("height", str(height))
    token.attrSet("loading", "lazy")
    token.attrSet("decoding", "async")


def pygments_css():
    """Stylesheet for highlighted code, light and dark."""
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
