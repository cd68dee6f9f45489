"""The keyboard alone, shared by the reader's and the editors' browser tests.

Nothing here clicks. Focus moves with Tab and Shift+Tab, text is typed with
``page.keyboard``, a choice in a ``<select>`` is made by typing (the type-ahead a closed
select has), and a control is activated with Enter or Space: what someone without a mouse
does. Every control a helper stops on must show a visible focus indicator.
"""

import pytest

# What the keyboard must reach: every visible, enabled interactive element, and anything
# made focusable on purpose (scrolling tables and code blocks carry tabindex="0").
CONTROLS = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    "[tabindex]:not([tabindex^='-'])"
)

# Numbers every visible control matching the selector (data-kb-idx) and lists them. The
# radios of one group share a number: Tab stops once in a group (on its checked radio),
# and the arrow keys move within it.
MARK_CONTROLS_JS = """(selector) => {
  const all = Array.from(document.querySelectorAll(selector));
  const groups = new Map();
  all.forEach((el, i) => {
    let idx = i;
    if (el.type === 'radio' && el.name) {
      const key = (el.form ? el.form.id || 'form' : '') + '\\u0000' + el.name;
      if (!groups.has(key)) groups.set(key, i);
      idx = groups.get(key);
    }
    el.dataset.kbIdx = String(idx);
  });
  const seen = new Set();
  return all
    .filter((el) => !el.disabled
                    && el.checkVisibility({visibilityProperty: true, opacityProperty: true})
                    && el.getClientRects().length > 0)
    .map((el) => ({idx: Number(el.dataset.kbIdx), tag: el.tagName.toLowerCase(),
                   id: el.id, name: el.getAttribute('name'), href: el.getAttribute('href'),
                   text: (el.textContent || '').trim().slice(0, 60)}))
    .filter((c) => !seen.has(c.idx) && seen.add(c.idx));
}"""

# The focused element, and whether it shows a focus indicator (an outline or a ring).
FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow && cs.boxShadow !== 'none';
  return {
    idx: el.dataset.kbIdx === undefined ? null : Number(el.dataset.kbIdx),
    tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, name: el.getAttribute('name'),
    type: el.getAttribute('type'), value: el.getAttribute('value'),
    href: el.getAttribute('href'), text: (el.textContent || '').trim().slice(0, 60),
    focusVisible: el.matches(':focus-visible'),
    indicator: outline || shadow,
    outline: cs.outlineStyle + ' ' + cs.outlineWidth + ' ' + cs.outlineColor,
    boxShadow: cs.boxShadow,
  };
}"""

MATCHES_JS = """(selector) => {
  const el = document.activeElement;
  return !!el && el !== document.body && el.matches(selector);
}"""


def focused(page):
    """The focused element (a dict, see FOCUSED_JS), or None when nothing is."""
    return page.evaluate(FOCUSED_JS)


def has_visible_focus(info):
    return bool(info and info["focusVisible"] and info["indicator"])


def assert_visible_focus(page):
    info = focused(page)
    assert has_visible_focus(info), f"focused without a visible focus indicator: {info}"
    return info


def tab_cycle(page, selector=CONTROLS, limit=300):
    """Tab until focus comes back round (from wherever it is): every visible control
    matching ``selector`` must be reached, and every stop must show a visible focus indicator.

    Returns (controls, stops): the controls found on the page and the Tab stops in order.
    """
    controls = page.evaluate(MARK_CONTROLS_JS, selector)
    assert controls, f"nothing matches {selector!r} on {page.url}"
    from_the_top = focused(page) is None
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is None:  # left the document (after its last stop)
            if stops and from_the_top:
                break  # started from the top: the cycle is complete
            continue
        if stops and info["idx"] is not None and info["idx"] == stops[0]["idx"]:
            break
        stops.append(info)
    else:
        pytest.fail(f"focus did not cycle within {limit} presses on {page.url}")

    reached = {s["idx"] for s in stops if s["idx"] is not None}
    missed = [c for c in controls if c["idx"] not in reached]
    assert not missed, f"controls the keyboard never reached on {page.url}: {missed}"
    no_indicator = [s for s in stops if not has_visible_focus(s)]
    assert not no_indicator, f"focused without a visible focus indicator: {no_indicator}"
    return controls, stops


def tab_to(page, selector, backwards=False, limit=300):
    """Press Tab (Shift+Tab with ``backwards``) until the focused element matches the CSS
    ``selector`` (no key when it already does); it must show a visible focus indicator.
    Returns its description."""
    if page.evaluate(MATCHES_JS, selector):
        return assert_visible_focus(page)
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(MATCHES_JS, selector):
            return assert_visible_focus(page)
    pytest.fail(f"{key} never reached {selector!r} on {page.url}")


def skip_to_main(page):
    """Tab to the skip link (the first stop of every page), press Enter, and focus is on
    <main>: the next Tab goes to the first control inside it, past the site's header."""
    tab_to(page, "a.skip-link")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")


def type_into(page, selector, text, replace=False, backwards=False):
    """Tab to a text field and type; ``replace`` selects what it holds first (Ctrl+A),
    otherwise the text goes at the end (Ctrl+End)."""
    tab_to(page, selector, backwards=backwards)
    page.keyboard.press("Control+A" if replace else "Control+End")
    page.keyboard.type(text)


def choose(page, selector, text, backwards=False):
    """Tab to a closed ``<select>`` and pick the option whose label starts with ``text``
    by typing it (the select's type-ahead), as a keyboard user does. Returns its value.
    ``text`` must not contain a space: Space opens the list."""
    tab_to(page, selector, backwards=backwards)
    page.keyboard.type(text)
    chosen = page.evaluate(
        "() => { const o = document.activeElement.selectedOptions[0];"
        " return o ? [o.value, o.label] : null; }"
    )
    assert chosen and chosen[1].lower().startswith(text.lower()), (
        f"typing {text!r} in {selector} chose {chosen}"
    )
    return chosen[0]


def activate(page, key="Enter", status=200):
    """Press ``key`` on the focused control and wait for the page it leads to."""
    with page.expect_navigation(wait_until="load") as nav:
        page.keyboard.press(key)
    response = nav.value
    assert response.status == status, f"{page.url}: {response.status}, expected {status}"
    return response


def pick(page, selector, text, slug, backwards=False):
    """Tab to a link picker (a combobox, static/js/picker.js), type ``text``, press
    ArrowDown until the suggestion for ``slug`` is the active one, and Enter: the field
    then holds ``slug`` and the list is closed. Returns the chosen option's label."""
    tab_to(page, selector, backwards=backwards)
    field = page.locator(selector)
    assert field.get_attribute("role") == "combobox"
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    listbox = page.locator("#" + field.get_attribute("aria-controls"))
    listbox.locator("[role=option]").first.wait_for(state="visible")
    assert field.get_attribute("aria-expanded") == "true"
    options = listbox.locator("[role=option]")
    for _ in range(options.count()):
        page.keyboard.press("ArrowDown")
        active = page.locator("#" + field.get_attribute("aria-activedescendant"))
        assert active.get_attribute("aria-selected") == "true"
        label = active.inner_text()
        if label.split()[-1] == slug:
            break
    else:
        pytest.fail(f"no suggestion for {slug!r} after typing {text!r} in {selector}")
    page.keyboard.press("Enter")  # chooses; does not submit the form
    assert field.input_value() == slug
    assert field.get_attribute("aria-expanded") == "false"
    assert listbox.is_hidden()
    assert page.evaluate("(s) => document.activeElement.matches(s)", selector)
    return label
