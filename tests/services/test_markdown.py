"""The Markdown pipeline: markdown-it js-default, Pygments classes, internal links, nh3 (OUT-2)."""

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybackend.services import markdown

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<div onmouseover="alert(1)">hover</div>',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<svg onload="alert(1)"></svg>',
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "<!-- comment --><p style='color:red'>styled</p>",
]


def render(body, resolved=()):
    return markdown.render(body, tuple(resolved))


class _Elements(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def dangerous(html):
    """What a browser would run or load from the fragment: script tags, handlers, bad URLs."""
    found = []
    for tag, attrs in _Elements(html).elements:
        if tag in ("script", "iframe", "style", "svg", "object", "embed"):
            found.append(tag)
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"{tag}[{name}]")
            if name in ("href", "src") and value:
                scheme = value.strip().lower().split(":", 1)[0]
                if ":" in value and scheme not in ("http", "https", "mailto"):
                    found.append(f"{tag}[{name}={value}]")
    return found


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_inert(attack):
    html = render(f"Text before.\n\n{attack}\n\nText after.")
    assert dangerous(html) == [], html
    assert "Text before." in html and "Text after." in html


def test_raw_html_is_shown_as_text():
    html = render("<b>bold</b>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_links_get_safe_rel():
    html = render("[site](https://example.org/)")
    assert 'href="https://example.org/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_code_is_highlighted_with_classes_not_inline_styles():
    html = render("```python\nimport flask\n```")
    assert '<pre class="highlight" tabindex="0"><code class="language-python">' in html
    assert '<span class="kn">import</span>' in html
    assert "style=" not in html


def test_unknown_code_language_is_escaped_plain_text():
    html = render("```nosuchlang\n<b>x</b>\n```")
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_internal_links_resolve_to_the_given_urls():
    body = "See [Django](topic:django) and [Reddit](example:reddit)."
    assert markdown.internal_targets(body) == (("topic", "django"), ("example", "reddit"))
    html = render(body, [(("topic", "django"), "/en/topics/django"), (("example", "reddit"), None)])
    assert '<a href="/en/topics/django"' in html
    # A link to a page that is not public keeps its words but is no link.
    assert '<span class="missing-link">Reddit</span>' in html


def test_malformed_internal_links_are_not_links():
    html = render("[x](topic:Bad_Slug) [y](topic:)")
    assert "<a" not in html
    assert "topic:" not in html


def test_headings_start_below_the_page_title():
    html = render("# One\n\n## Two")
    assert "<h1" not in html
    assert '<h2 id="one">One ' in html and '<h3 id="two">Two ' in html


def test_clean_is_idempotent_on_rendered_markdown():
    html = render("\n\n".join(ATTACKS))
    assert markdown.clean(html) == html


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text())
def test_clean_is_idempotent(fragment):
    once = markdown.clean(fragment)
    assert markdown.clean(once) == once


HTMLISH = st.lists(
    st.sampled_from(
        [
            "<",
            ">",
            "/",
            "=",
            '"',
            "'",
            "a",
            "script",
            "img",
            "on",
            "href",
            "javascript:",
            "src",
            " ",
            "&",
            ";",
            "#",
            "x",
            "[",
            "]",
            "(",
            ")",
            "`",
            "\n",
            "*",
            "<!--",
            "-->",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(HTMLISH)
def test_clean_is_idempotent_on_html_like_text(fragment):
    once = markdown.clean(fragment)
    assert markdown.clean(once) == once
    assert dangerous(once) == []


@settings(max_examples=200, deadline=None)
@given(HTMLISH)
def test_rendered_markdown_never_carries_script_or_handlers(body):
    assert dangerous(render(body)) == []


def test_internal_links_are_followed_external_ones_are_not():
    html = render(
        "[in](topic:django) [out](https://example.org/)", [(("topic", "django"), "/topics/django")]
    )
    assert '<a href="/topics/django">in</a>' in html
    assert '<a href="https://example.org/" rel="noopener noreferrer nofollow">out</a>' in html


def test_wide_tables_scroll_in_a_focusable_box():
    html = render("| a | b |\n|---|---|\n| 1 | 2 |")
    assert html.startswith('<div class="table-scroll" tabindex="0"><table>')
