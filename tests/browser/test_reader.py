"""What a reader sees in a real Chromium: pages load, links and the language switch work,
the keyboard reaches everything, axe-core finds nothing, and narrow screens do not scroll
sideways. With JavaScript on and off where it matters (the site needs none)."""

from urllib.parse import urlsplit

import pytest

from tests.browser.keyboard import tab_cycle

pytestmark = pytest.mark.browser

READER_PAGES = ["/", "/topics/django", "/examples/spotify"]
# Built from content that is not one item: the guide, the comparisons, the glossary.
GUIDE_PAGES = ["/compare", "/compare/web-frameworks", "/compare/messaging", "/glossary"]
BOTH_LANGUAGES = [
    *READER_PAGES,
    *GUIDE_PAGES,
    *("/en" + p if p != "/" else "/en/" for p in READER_PAGES + GUIDE_PAGES),
]
NARROW_PAGES = ["/", "/topics/django", *GUIDE_PAGES, "/en/compare/web-frameworks"]


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def goto_ok(page, url):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    return response


def html_lang(page):
    return page.locator("html").get_attribute("lang")


# ---------- Pages load, with JavaScript on and off ----------


@pytest.mark.parametrize("path", READER_PAGES)
def test_page_loads_cleanly(any_page, live_server, path):
    page = any_page
    goto_ok(page, live_server + path)
    h1 = page.locator("h1")
    assert h1.count() == 1
    assert h1.is_visible()
    assert h1.inner_text().strip()
    assert html_lang(page) == "id"
    page.problems.assert_none()


# ---------- Language switch ----------


def test_language_switch_round_trip(any_page, live_server):
    page = any_page
    goto_ok(page, live_server + "/topics/django")
    switch = page.locator("nav.lang-switch")

    with page.expect_navigation() as nav:
        switch.get_by_role("link", name="English", exact=True).click()
    assert nav.value.status == 200
    assert path_of(page.url) == "/en/topics/django"
    assert html_lang(page) == "en"
    # The current language is shown, not linked.
    assert switch.get_by_role("link", name="English", exact=True).count() == 0

    with page.expect_navigation() as nav:
        switch.get_by_role("link", name="Bahasa Indonesia", exact=True).click()
    assert nav.value.status == 200
    assert path_of(page.url) == "/topics/django"
    assert html_lang(page) == "id"
    page.problems.assert_none()


# ---------- Following links ----------


def test_home_topic_card_leads_to_topic(any_page, live_server):
    page = any_page
    goto_ok(page, live_server + "/")
    link = page.locator("section[aria-labelledby='topics-heading'] .card-title a").first
    href, title = link.get_attribute("href"), link.inner_text().strip()
    assert path_of(href).startswith("/topics/")

    with page.expect_navigation() as nav:
        link.click()
    assert nav.value.status == 200
    assert path_of(page.url) == path_of(href)
    assert page.locator("h1").inner_text().strip() == title
    page.problems.assert_none()


def test_topic_body_link_leads_to_a_page(any_page, live_server):
    page = any_page
    goto_ok(page, live_server + "/topics/django")
    origin = live_server
    internal = [
        a
        for a in page.locator(".prose a[href]").all()
        if (a.get_attribute("href") or "").startswith("/")
        or (a.get_attribute("href") or "").startswith(origin + "/")
    ]
    assert internal, "the Django topic's body has no internal links"
    link = internal[0]
    href = link.get_attribute("href")

    with page.expect_navigation() as nav:
        link.click()
    assert nav.value.status == 200, f"{href} -> {nav.value.status}"
    assert path_of(page.url) == path_of(href)
    assert page.locator("h1").is_visible()
    page.problems.assert_none()


# ---------- Keyboard ----------


def test_keyboard_reaches_every_control_with_visible_focus(page, live_server):
    goto_ok(page, live_server + "/")
    controls, _stops = tab_cycle(page)
    links = [c for c in controls if c["tag"] == "a"]
    assert len(links) > 10, links


def test_skip_link_is_first_visible_on_focus_and_moves_to_main(page, live_server):
    goto_ok(page, live_server + "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')"), (
        "the first Tab did not focus the skip link"
    )
    assert skip.get_attribute("href") == "#main"
    # It slides in (a short CSS transition): wait until it is fully inside the viewport.
    page.wait_for_function(
        """() => {
          const r = document.querySelector('a.skip-link').getBoundingClientRect();
          return r.height > 0 && r.width > 0 && r.top >= 0 && r.left >= 0
              && r.bottom <= innerHeight && r.right <= innerWidth;
        }""",
        timeout=2000,
    )
    assert skip.is_visible()

    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    assert urlsplit(page.url).fragment == "main"
    top = page.evaluate("() => document.getElementById('main').getBoundingClientRect().top")
    assert top < 50, f"#main is not scrolled into view (top={top})"
    # The next Tab continues inside the main content, past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')")
    page.problems.assert_none()


# ---------- Accessibility (axe-core) ----------


@pytest.mark.parametrize("path", BOTH_LANGUAGES)
def test_axe_no_violations(page, live_server, axe, path):
    goto_ok(page, live_server + path)
    axe(page)


@pytest.mark.parametrize("path", ["/", "/topics/django"])
def test_axe_no_violations_dark_mode(new_page, live_server, axe, path):
    page = new_page(color_scheme="dark")
    goto_ok(page, live_server + path)
    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    axe(page)


# ---------- Narrow screens ----------


@pytest.mark.parametrize("path", NARROW_PAGES)
def test_no_horizontal_scroll_at_320px(new_page, live_server, path):
    page = new_page(viewport={"width": 320, "height": 640})
    goto_ok(page, live_server + path)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > 320:
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                .filter((el) => el.getBoundingClientRect().right > 320.5)
                .slice(0, 10)
                .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                             + ' right=' + Math.round(el.getBoundingClientRect().right))"""
        )
        pytest.fail(f"{path} is {width}px wide at a 320px viewport; too wide: {wide}")


@pytest.mark.parametrize("path", ["/topics/django", "/compare/web-frameworks", "/en/glossary"])
def test_axe_no_violations_at_320px(new_page, live_server, axe, path):
    page = new_page(viewport={"width": 320, "height": 640})
    goto_ok(page, live_server + path)
    axe(page)


# ---------- Contents, anchors, copy buttons ----------


def test_contents_link_to_heading_anchors(page, live_server):
    goto_ok(page, live_server + "/topics/django")
    links = page.locator("nav.toc a")
    assert links.count() >= 3
    href = links.nth(1).get_attribute("href")
    links.nth(1).click()
    assert urlsplit(page.url).fragment == href[1:]
    heading = page.locator(f"[id='{href[1:]}']")
    assert heading.evaluate("(el) => el.tagName") in ("H2", "H3")
    assert heading.locator("a.header-anchor").get_attribute("href") == href
    assert page.locator("p.updated time").get_attribute("datetime")
    page.problems.assert_none()


def test_copy_button_copies_a_code_block(new_page, live_server):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    goto_ok(page, live_server + "/en/topics/python")
    block = page.locator(".prose .code-block").first
    button = block.get_by_role("button", name="Copy code")
    button.click()
    expect_text = block.locator("code").inner_text()
    page.wait_for_function(
        "() => document.querySelector('.prose .copy-status').textContent === 'Copied'"
    )
    assert page.evaluate("() => navigator.clipboard.readText()") == expect_text
    page.problems.assert_none()


def test_code_blocks_have_no_button_without_javascript(page_nojs, live_server):
    goto_ok(page_nojs, live_server + "/topics/python")
    assert page_nojs.locator(".prose pre code").count() >= 1
    assert page_nojs.locator(".copy-button").count() == 0
