"""Real pybackend servers for the fault suite: generated ini files, ``pserve`` processes on
loopback, an editor's browser (requests + the HTML forms), raw sockets.

Ports: the suite uses FAULTS_PORT_BASE (default 7200) up to +99, one per server, so that
it can run beside other test runs on the same machine.
"""

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from bs4 import BeautifulSoup

from bench.servers import port_is_free

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
PRODUCTION_INI = ROOT / "production.ini"
HOST = "127.0.0.1"
PASSWORD = "correct horse battery staple"
SECRET = "f" * 48
PORT_BASE = int(os.environ.get("FAULTS_PORT_BASE", "7200"))
_ports = itertools.count(PORT_BASE)


def next_port():
    """The next free port of the suite's range."""
    for port in _ports:
        if port >= PORT_BASE + 100:
            raise RuntimeError("the fault suite ran out of ports")
        if port_is_free(port):
            return port
    raise AssertionError("unreachable")


def production_ini(directory, port, server=None, app=None):
    """production.ini listening on ``port``, with ``server``/``app`` settings replaced or
    added."""
    app = {
        "pybackend.base_url": f"http://{HOST}:{port}",
        "pybackend.allowed_hosts": f"localhost {HOST}",
        **(app or {}),
    }
    server = {"listen": f"{HOST}:{port}", **(server or {})}
    lines, section, pending = [], None, {}
    for line in PRODUCTION_INI.read_text().splitlines():
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            lines.extend(f"{k} = {v}" for k, v in pending.items())
            section = header.group(1)
            pending = dict(
                app if section == "app:main" else server if section == "server:main" else {}
            )
            lines.append(line)
            continue
        key = re.match(r"^([\w.]+)\s*=", line)
        if key and key.group(1) in pending:
            line = f"{key.group(1)} = {pending.pop(key.group(1))}"
        lines.append(line)
    lines.extend(f"{k} = {v}" for k, v in pending.items())
    path = Path(directory) / f"faults-{port}.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def environment(database_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYBACKEND_SECRET": SECRET,
        "PYTHONUNBUFFERED": "1",
    }


def run_script(name, *args, env, stdin=None, timeout=180):
    result = subprocess.run(
        [str(BIN / name), *map(str, args)],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert result.returncode == 0, (name, result.stdout, result.stderr)
    return result


def initialize(ini, env, editors=("ed",)):
    """The schema, the seed and editor accounts (password PASSWORD)."""
    run_script("initialize_pybackend_db", ini, env=env)
    for name in editors:
        run_script(
            "pybackend-user", ini, "add", name, "--role", "editor", env=env, stdin=PASSWORD + "\n"
        )


class Server:
    """``pserve INI`` in its own process group, its output in a log file."""

    def __init__(self, ini, port, env, log_path):
        self.ini, self.port, self.env, self.log_path = ini, port, env, Path(log_path)
        self.url = f"http://{HOST}:{port}"
        self.process = None

    def start(self, timeout=60):
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(BIN / "pserve"), str(self.ini)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not start:\n{self.log()}")

    def log(self):
        return self.log_path.read_text(errors="replace")[-4000:]

    def signal(self, sig):
        os.killpg(self.process.pid, sig)

    def wait(self, timeout):
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    self.signal(sig)
                    self.process.wait(timeout=40 if sig == signal.SIGTERM else 10)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None


def form_fields(html, form_id):
    """The fields a browser would send for the form ``form_id`` (no submit button)."""
    form = BeautifulSoup(html, "html.parser").find("form", id=form_id)
    assert form is not None, f"no form {form_id!r} on the page"
    fields = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "button"):
            continue
        if field.name == "textarea":
            # HTML drops one newline right after <textarea> (WTForms writes CRLF there).
            text = field.text
            fields[name] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            fields[name] = chosen.get("value", chosen.text) if chosen else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                fields[name] = field.get("value", "on")
        else:
            fields[name] = field.get("value", "")
    return fields


class Editor:
    """An editor's browser: a cookie jar, the login form, the edit form."""

    def __init__(self, url, username="ed"):
        self.url, self.username = url, username
        self.http = requests.Session()

    def headers(self):
        """The Cookie header a browser would send. production.ini's cookies are Secure,
        which requests keeps from plain HTTP; the suite speaks plain HTTP on loopback."""
        return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)}

    def get(self, path, **kw):
        return self.http.get(
            self.url + path, headers=self.headers(), timeout=kw.pop("timeout", 30), **kw
        )

    def post(self, path, data, **kw):
        return self.http.post(
            self.url + path,
            data=data,
            headers=self.headers(),
            allow_redirects=False,
            timeout=kw.pop("timeout", 30),
            **kw,
        )

    def login(self):
        page = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        fields = {"csrf_token": token, "username": self.username, "password": PASSWORD}
        answer = self.post("/login", fields)
        assert answer.status_code == 303, (answer.status_code, answer.text[-2000:])
        return self

    def edit_form(self, item_id):
        page = self.get(f"/admin/topics/{item_id}")
        assert page.status_code == 200, page.status_code
        return form_fields(page.text, "item-form")

    def save(self, item_id, fields, **kw):
        return self.post(f"/admin/topics/{item_id}", {**fields, "action": "save"}, **kw)


def raw_exchange(port, data, timeout=10):
    """Send ``data`` on a new connection; (bytes the server sent, seconds until it closed
    or answered, whether it closed)."""
    started = time.monotonic()
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        sock.settimeout(timeout)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return received, time.monotonic() - started, True
                received += chunk
                if b"\r\n\r\n" in received:
                    return received, time.monotonic() - started, False
        except ConnectionResetError:
            return received, time.monotonic() - started, True
        except TimeoutError:
            return received, time.monotonic() - started, False


def status_of(raw):
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", raw)
    return int(match.group(1)) if match else None
