"""Real-browser fixtures: the app served by waitress, a system Chromium driven by Playwright.

Nothing here downloads a browser: the tests use /usr/bin/chromium and are skipped without it.
axe-core comes from tests/browser/node_modules (``make test`` installs it with npm).
"""

import json
import os
import threading
from pathlib import Path

import pytest

from pybackend import main, models
from tests.scripts.databases import Databases, app_settings_for, initialize

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

# Playwright must never fetch its own browsers.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


# The browser tests commit what they do (a real server, real sessions), so they get a
# database of their own: the rest of the suite counts rows in a seeded store and must
# never see a browser test's audit entries, users or topics.
@pytest.fixture(scope="session")
def browser_database(backend, tmp_path_factory):
    made = Databases(backend, tmp_path_factory.mktemp("browser-db"))
    url = made.new("browser")
    yield url
    made.drop_all()


@pytest.fixture(scope="session")
def app_settings(ini_file, browser_database, tmp_path_factory):
    return app_settings_for(ini_file, browser_database, tmp_path_factory.mktemp("browser-images"))


@pytest.fixture(scope="session")
def dbengine(app_settings):
    engine = models.get_engine(app_settings)
    initialize(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(app_settings, dbengine):
    """The app on an ephemeral port of 127.0.0.1, serving the seeded database.

    The app's absolute URLs (the language switch, hreflang alternates) come from
    ``pybackend.base_url``, which must be this server's address; the port is only known
    once the socket is bound, so the app is built after that and reached through a
    late-bound WSGI callable.
    """
    waitress = pytest.importorskip("waitress")
    holder = {}

    def wsgi(environ, start_response):
        return holder["app"](environ, start_response)

    server = waitress.create_server(wsgi, host="127.0.0.1", port=0, threads=4)
    base_url = f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    settings = {**app_settings, "pybackend.base_url": base_url}
    holder["app"] = main({}, dbengine=dbengine, **settings)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def playwright_instance():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed ({CHROMIUM}); apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    def __init__(self, page):
        self.errors = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg):
        text = msg.text
        if msg.type == "error" or "Content Security Policy" in text:
            self.errors.append(f"console.{msg.type}: {text} ({msg.location.get('url', '')})")

    def assert_none(self):
        assert not self.errors, "problems reported by the page:\n" + "\n".join(self.errors)


def _new_page(browser, **context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    return context, page


@pytest.fixture
def page(browser, live_server):
    """A fresh context with JavaScript on; ``page.problems`` collects console errors."""
    context, page = _new_page(browser)
    yield page
    context.close()


@pytest.fixture
def page_nojs(browser, live_server):
    """A fresh context with JavaScript off, as a reader with it disabled would see the site."""
    context, page = _new_page(browser, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def any_page(request, browser, live_server):
    """The same test with JavaScript on and off."""
    context, page = _new_page(browser, java_script_enabled=request.param)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """Factory for pages with other context options (viewport, colour scheme...)."""
    contexts = []

    def factory(**context_options):
        context, page = _new_page(browser, **context_options)
        contexts.append(context)
        return page

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_JS.exists():
        pytest.skip(
            f"axe-core is not installed ({AXE_JS.relative_to(HERE.parent.parent)}); "
            "run `make test` or `npm ci --prefix tests/browser`"
        )
    return AXE_JS.read_text(encoding="utf-8")


def format_violations(url, violations):
    lines = [f"{len(violations)} axe-core violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{v.get('helpUrl', '')}]")
        for node in v["nodes"][:10]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {json.dumps(node['target'])}: {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


@pytest.fixture
def axe(axe_source):
    """``axe(page)`` runs axe-core on the loaded page and fails on any violation.

    The app's CSP (script-src 'self') blocks inline scripts, so axe is injected with
    page.evaluate, which the CSP does not govern; the page needs JavaScript enabled.
    """

    def check(page):
        page.evaluate(axe_source)
        results = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        violations = results["violations"]
        assert not violations, format_violations(page.url, violations)
        return results

    return check
