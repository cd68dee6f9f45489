"""The checks of the deployment test (tests/deploy/run.py), against a running deployment."""

import os
import re
import signal
import subprocess
import threading
import time

from tests.deploy.web import Client, first_input, form_fields, wait_until

figures = {}
# nginx passes a request with a session cookie to the processes (pybackend-proxy-cache.conf);
# this one is not signed, so the processes answer it as an anonymous reader. The load then
# reaches the processes instead of nginx's cache.
BYPASS = {"Cookie": "pybackend_session=anonymous-load"}
WRK_PATHS = ("/topics/django", "/", "/topics", "/en/topics/flask", "/examples", "/topics/celery")


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def step(message):
    print(f"\n--> [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def https(d, **kw):
    from tests.deploy.run import HTTPS_PORT

    return Client(HTTPS_PORT, cafile=d.cert, **kw)


def direct(port, **kw):
    """A client of one process, with the headers nginx adds (waitress trusts 127.0.0.1)."""
    from tests.deploy.run import HTTPS_PORT

    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "127.0.0.1",
        "X-Forwarded-Port": str(HTTPS_PORT),
        "X-Forwarded-For": "127.0.0.1",
    }
    return Client(port, headers=headers, **kw)


def reads(d):
    from tests.deploy.run import BASE_URL, HTTP_PORT

    step("reads through nginx over TLS, static files from the package, the proxy cache")
    web = https(d)
    for path in ("/", "/topics/django", "/topics", "/search?q=django", "/feed.atom"):
        res = web.get(path)
        check(res.status == 200, f"GET {path} through nginx: {res.status}")
    english = web.get("/en/topics").text
    check("Topics" in english and ">Topik<" not in english, "English pages untranslated (.mo?)")
    static = web.get("/static/css/site.css")
    installed = os.path.join(d.venv_static, "css", "site.css")
    with open(installed, "rb") as f:
        check(static.status == 200 and static.body == f.read(), "static file not from the package")
    check(static.header("X-Request-Id") is None, "a static file went through the application")
    check("max-age=3600" in (static.header("Cache-Control") or ""), "static without max-age")
    redirect = Client(HTTP_PORT).get("/topics/django")
    check(
        redirect.status == 301 and redirect.header("Location") == BASE_URL + "/topics/django",
        f"http is not redirected to https: {redirect.status} {redirect.header('Location')}",
    )
    wait_until(lambda: web.get("/topics/flask").header("X-Cache-Status") == "HIT", "cache HIT", 5)
    bypass = https(d, headers=BYPASS).get("/topics/flask")
    check(bypass.header("X-Cache-Status") == "BYPASS", "a session cookie was not passed through")
    check(web.get("/nginx-health").status == 200, "nginx's own health check")
    wait_until(
        lambda: web.get("/readyz").text.count('"ok"') >= 3, "/readyz with the replica ok", 10
    )
    print("reads, TLS, static files, http -> https, cache HIT and BYPASS: ok")


def login(d):
    from tests.deploy.run import BASE_URL, EDITOR, PASSWORD

    step("login over https: Secure cookies, the CSRF origin check")
    editor = https(d)
    form = editor.get("/login")
    login_cookie = [c for c in form.all("Set-Cookie") if c.startswith("pybackend_login=")]
    check(login_cookie and "secure" in login_cookie[0].lower(), "login cookie without Secure")
    fields = {
        "username": EDITOR,
        "password": PASSWORD,
        "csrf_token": first_input(form.text, "csrf_token"),
        "next": "",
    }
    foreign = editor.post("/login", fields, headers={"Origin": "https://evil.example"})
    check(foreign.status in (400, 403), f"a foreign Origin was not refused: {foreign.status}")
    res = editor.post("/login", fields, headers={"Origin": BASE_URL})
    check(res.status == 303, f"login through nginx: {res.status}")
    session = [c for c in res.all("Set-Cookie") if c.startswith("pybackend_session=")]
    check(session, "no session cookie after login")
    flags = session[0].lower()
    check("secure" in flags and "httponly" in flags, f"session cookie flags: {session[0]}")
    check(editor.get("/admin/").status == 200, "the editors' area after login")
    print("login: ok (Secure; HttpOnly; foreign Origin refused)")
    return editor


def propagation(d, editor):
    from tests.deploy.run import APP_PORTS

    step("an edit through one process, seen by the others")
    item_id = d.clusters.sql(
        d.clusters.primary_port, "SELECT id FROM items WHERE slug = 'django'", database="pybackend"
    )
    first = direct(APP_PORTS[0])
    first.cookies = dict(editor.cookies)
    readers = [direct(port) for port in APP_PORTS[1:]]
    # The first edit warms the readers up: a process's first live render of a topic page
    # compiles its templates and loads Pygments, seconds on a loaded machine.
    edit_and_wait(first, readers, item_id, seconds=30)
    seen = edit_and_wait(first, readers, item_id, seconds=8)
    slowest = max(seen.values())
    figures["edit propagation (slowest process)"] = f"{slowest:.2f} s"
    figures["a cached page read (after the edit)"] = f"{request_time(readers[0]) * 1000:.0f} ms"
    # About a second (generation_ttl = 1) on an idle machine; a loaded shared one is slower.
    check(slowest < 5, f"the edit took {seen} s to reach the processes")
    print("edit seen by " + ", ".join(f"{p} after {t:.2f} s" for p, t in sorted(seen.items())))


def edit_and_wait(first, readers, item_id, seconds):
    """Save a new summary through ``first``; when each reader showed it, in seconds."""
    from tests.deploy.run import APP_PORTS, BASE_URL

    for reader in readers:
        check(reader.get("/topics/django").status == 200, "warming a reader")
    fields = form_fields(first.get(f"/admin/topics/{item_id}").text, "item-form")
    marker = f"Ringkasan baru {time.time_ns()}"
    fields.update({"summary": marker, "action": "save"})
    res = first.post(f"/admin/topics/{item_id}", fields, headers={"Origin": BASE_URL})
    check(res.status == 303, f"saving through process {APP_PORTS[0]}: {res.status}")
    saved = time.monotonic()
    check(marker in first.get("/topics/django").text, "the editor does not read their own write")
    seen = {}
    while len(seen) < len(readers) and time.monotonic() < saved + seconds:
        for reader in readers:
            if reader.port not in seen and marker in reader.get("/topics/django").text:
                seen[reader.port] = time.monotonic() - saved
        time.sleep(0.02)
    check(len(seen) == len(readers), f"the edit did not reach every process in {seconds} s")
    return seen


def request_time(client, path="/topics/django", count=5):
    started = time.monotonic()
    for _ in range(count):
        client.get(path)
    return (time.monotonic() - started) / count


def wrk(d, seconds, connections=16, extra=()):
    """Start wrk through nginx (its cache bypassed); returns the process."""
    from tests.deploy.run import BASE_URL

    script = os.path.join(d.root, "paths.lua")
    with open(script, "w") as f:
        f.write(
            "local paths = {" + ", ".join(f'"{p}"' for p in WRK_PATHS) + "}\n"
            "local i = 0\n"
            "request = function()\n  i = i + 1\n"
            '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
        )
    return subprocess.Popen(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-H", f"Cookie: {BYPASS['Cookie']}", *extra, "-s", script, BASE_URL],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wrk_result(process, name, allowed=0):
    out, _ = process.communicate(timeout=120)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    check(rate and total, f"wrk printed no figures:\n{out}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx[1]) if non_2xx else 0
    figures[name] = f"{float(rate[1]):.0f} req/s, {total[1]} requests, {errors} errors"
    if allowed:
        figures[name] += f" ({allowed} cut mid-body by the kill)"
    print(f"{name}: {figures[name]}")
    check(errors <= allowed, f"{name}: {errors} errors\n{out}")


def kill_one(d):
    from tests.deploy.run import APP_PORTS

    victim = APP_PORTS[1]
    step(f"kill -9 of process {victim} during a wrk run")
    log = os.path.join(d.nginx_dir, "error.log")
    seen = os.path.getsize(log) if os.path.exists(log) else 0
    load = wrk(d, seconds=8)
    time.sleep(3)
    d.processes.pop(victim).send_signal(signal.SIGKILL)
    out_of_reach = cut_mid_body(log, seen, victim)
    wrk_result(load, "wrk with kill -9 of one process", allowed=out_of_reach)
    d.start(victim)


def cut_mid_body(log, offset, port):
    """Responses the killed process had begun to send when it died.

    nginx retries on the next process every request whose response header had not
    arrived (connect errors, resets, a closed connection while reading the header);
    a response whose body was in transit has been passed on to the client in part, and
    no proxy can take it back. Those, and only those, may reach wrk as read errors.
    """
    time.sleep(1)
    with open(log, errors="replace") as f:
        f.seek(offset)
        lines = f.read().splitlines()
    return sum(
        "prematurely closed connection while reading upstream" in line
        and f"127.0.0.1:{port}" in line
        for line in lines
    )


class Poster(threading.Thread):
    """POSTs through nginx as the editor (the body preview), until stopped."""

    def __init__(self, d, editor):
        super().__init__(daemon=True)
        from tests.deploy.run import BASE_URL

        self.client = https(d)
        self.client.cookies = dict(editor.cookies)
        page = self.client.get("/admin/topics/new").text
        self.fields = {"csrf_token": first_input(page, "csrf_token"), "body": "**tebal**"}
        self.origin = BASE_URL
        self.stopping = threading.Event()
        self.done, self.failures = 0, []

    def run(self):
        while not self.stopping.is_set():
            try:
                res = self.client.post(
                    "/admin/preview", self.fields, headers={"Origin": self.origin}
                )
                ok = res.status == 200 and "<strong>" in res.text
                reason = res.status
            except OSError as exc:
                ok, reason = False, exc
            self.done += 1
            if not ok:
                self.failures.append(reason)


def rolling_restart(d, editor):
    from tests.deploy.run import APP_PORTS

    step("a rolling restart under reads (wrk) and POSTs: drain, SIGTERM, start, undrain")
    # A new connection per request: a reload makes nginx's old workers close their idle
    # client connections, and wrk counts a request it sent on one at that moment as an
    # error (a browser sends such a GET again, RFC 9112 9.3.1). What is measured here is
    # whether any request nginx took fails.
    load = wrk(d, seconds=400, extra=("-H", "Connection: close"))  # stopped below
    poster = Poster(d, editor)
    poster.start()
    started = time.monotonic()
    time.sleep(1)
    for port in APP_PORTS:
        d.reload_nginx(down={port})
        d.stop(port, seconds=int(d.unit["TimeoutStopSec"]))
        d.start(port)
        d.reload_nginx()
    time.sleep(1)
    poster.stopping.set()
    poster.join(15)
    load.send_signal(signal.SIGINT)  # wrk stops and prints what it measured
    figures["rolling restart of 3 processes"] = f"{time.monotonic() - started:.1f} s"
    figures["POSTs during the rolling restart"] = f"{poster.done}, {len(poster.failures)} failed"
    print(f"POSTs: {figures['POSTs during the rolling restart']}")
    wrk_result(load, "wrk during the rolling restart")
    check(poster.done > 0 and not poster.failures, f"POSTs failed: {poster.failures[:5]}")


def replica_transactions(d):
    statement = "SELECT xact_commit FROM pg_stat_database WHERE datname = 'pybackend'"
    return int(d.clusters.sql(d.clusters.replica_port, statement))


def replica_states(ports):
    return [direct(port).get("/readyz").text for port in ports]


def cold_reads(d, count, start):
    web = https(d, headers=BYPASS)
    for n in range(start, start + count):
        res = web.get(f"/search?q=kata{n}")
        check(res.status == 200, f"a cold read answered {res.status}")


def replica(d):
    from tests.deploy.run import APP_PORTS

    step("the replica stopped: reads go on; the replica back: reads return to it")
    d.clusters.stop_replica()
    stopped = time.monotonic()
    cold_reads(d, 30, 0)
    check(
        all('"unreachable"' in s for s in replica_states(APP_PORTS)),
        f"/readyz does not say the replica is unreachable: {replica_states(APP_PORTS)}",
    )
    figures["cold reads with the replica down"] = "30 of 30 answered 200"
    d.clusters.start_replica()
    wait_until(
        lambda: all('"state": "ok"' in s for s in replica_states(APP_PORTS)),
        "every process using the replica again",
        20,
    )
    figures["replica away and back"] = f"{time.monotonic() - stopped:.1f} s"
    # The monitors commit a few transactions a second on the replica; cold reads add one
    # each. PostgreSQL publishes the counts about once a second.
    before = replica_transactions(d)
    time.sleep(2.5)
    idle = replica_transactions(d) - before
    before = replica_transactions(d)
    cold_reads(d, 150, 100)
    time.sleep(2.5)
    loaded = replica_transactions(d) - before
    figures["replica transactions: idle 2.5 s / 150 cold reads"] = f"{idle} / {loaded}"
    check(loaded > idle + 75, f"reads did not return to the replica ({idle} idle, {loaded})")
    print("replica: reads went on without it, and returned to it")


def run_checks(d):
    d.venv_static = run_static_root(d)
    reads(d)
    editor = login(d)
    propagation(d, editor)
    kill_one(d)
    rolling_restart(d, editor)
    replica(d)


def run_static_root(d):
    out = subprocess.run(
        [d.bin("python"), "-c", "import importlib.resources as r; print(r.files('pybackend'))"],
        capture_output=True, text=True, cwd="/tmp", check=True,
    ).stdout.strip()  # fmt: skip
    return os.path.join(out, "static")
