"""A small browser for the bench: one keep-alive connection, cookies, HTML forms, login.

Standard library only, so the writer process (bench.writer) starts in a few milliseconds.
It drives the app the way a browser does (GET the form, POST its fields back with the
CSRF token, follow the 303), so it keeps working whatever the app keeps in its cookies.
"""

import html
import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field

HOST = "127.0.0.1"
HOST_HEADER = "localhost"


@dataclass
class Response:
    status: int
    headers: list
    body: bytes
    ms: float

    def header(self, name):
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def location_path(self):
        """The path and query of the Location header (its host is the public base URL)."""
        location = self.header("Location")
        if location is None:
            return None
        parts = urllib.parse.urlsplit(location)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Client:
    """HTTP/1.1 to one port with a cookie jar; the Secure flag is ignored (no TLS here)."""

    def __init__(self, port, timeout=120, cookies=None):
        self.port = port
        self.timeout = timeout
        self.cookies = dict(cookies or {})
        self._connection = None

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method, path, fields=None, headers=None):
        body = None
        headers = {"Host": HOST_HEADER, **(headers or {})}
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            started = time.monotonic()
            try:
                self._connection.request(method, path, body=body, headers=headers)
                response = self._connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a kept-alive connection: one retry on a fresh one.
                self.close()
                if attempt == 2:
                    raise
                continue
            ms = (time.monotonic() - started) * 1000
            result = Response(response.status, response.getheaders(), data, ms)
            self._store_cookies(result)
            if response.will_close:
                self.close()
            return result
        raise AssertionError("unreachable")

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields, headers=None):
        return self.request("POST", path, fields=fields, headers=headers)

    def _store_cookies(self, response):
        for name, value in response.headers:
            if name.lower() != "set-cookie":
                continue
            pair, _, attributes = value.partition(";")
            cookie, _, cookie_value = pair.strip().partition("=")
            expired = re.search(r"(?i)max-age\s*=\s*0\b", attributes) or not cookie_value
            if expired:
                self.cookies.pop(cookie, None)
            elif cookie:
                self.cookies[cookie] = cookie_value


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------

_ATTR = re.compile(r"""([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form\s*>", re.S | re.I)
_CONTROL = re.compile(r"<(input|select|textarea|button)\b([^>]*)>", re.I)
_OPTION = re.compile(r"<option\b([^>]*)>([^<]*)", re.I)
# A link row's select lists every topic (100 000 options): only the selected ones are parsed.
_SELECTED_OPTION = re.compile(r"<option\b([^>]*\bselected\b[^>]*)>([^<]*)", re.I)


def attributes(text):
    """``{name: value}`` of a tag's attribute text; a bare attribute has the value ''."""
    found = {}
    for match in _ATTR.finditer(text):
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        found.setdefault(name, html.unescape(value))
    return found


@dataclass
class Form:
    action: str
    attrs: dict
    fields: list = field(default_factory=list)  # (name, value) a browser would submit
    buttons: list = field(default_factory=list)  # (name, value) of the submit buttons

    def get(self, name, default=None):
        return next((v for k, v in self.fields if k == name), default)

    def replaced(self, **values):
        """The fields with some values changed (or added), in form order."""
        out = [(k, values.pop(k) if k in values else v) for k, v in self.fields]
        return out + list(values.items())


def _option_value(match):
    attrs = attributes(match.group(1))
    return attrs, attrs.get("value", html.unescape(match.group(2)).strip())


def _selected(select_html, multiple):
    """The values a browser submits for a select: the selected options, else the first."""
    chosen = [_option_value(m) for m in _SELECTED_OPTION.finditer(select_html)]
    values = [value for attrs, value in chosen if "selected" in attrs]
    if not values and not multiple:
        first = _OPTION.search(select_html)
        values = [_option_value(first)[1]] if first else []
    return values if multiple else values[:1]


def parse_forms(page):
    """Every form of ``page`` (WTForms output: well-formed, quoted attributes)."""
    forms = []
    for form_match in _FORM.finditer(page):
        form_attrs = attributes(form_match.group(1))
        form = Form(html.unescape(form_attrs.get("action", "")), form_attrs)
        inner = form_match.group(2)
        pos = 0
        while True:
            match = _CONTROL.search(inner, pos)
            if match is None:
                break
            tag, attrs = match.group(1).lower(), attributes(match.group(2))
            pos = match.end()
            end = None
            if tag in ("select", "textarea", "button"):
                end = re.compile(rf"</{tag}\s*>", re.I).search(inner, pos)
            content = inner[pos : end.start()] if end else ""
            if end:
                pos = end.end()
            name = attrs.get("name")
            if not name or "disabled" in attrs:
                continue
            kind = attrs.get("type", "submit" if tag == "button" else "text").lower()
            if tag in ("button", "input") and kind in ("submit", "image"):
                form.buttons.append((name, attrs.get("value", "")))
            elif tag == "select":
                for value in _selected(content, "multiple" in attrs):
                    form.fields.append((name, value))
            elif tag == "textarea":
                # A newline right after <textarea> is not part of the value (HTML parsing).
                text = html.unescape(content)
                for newline in ("\r\n", "\n"):
                    if text.startswith(newline):
                        text = text[len(newline) :]
                        break
                form.fields.append((name, text))
            elif tag == "button" or kind in ("reset", "button", "file"):
                continue
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form.fields.append((name, attrs.get("value", "on")))
            else:
                form.fields.append((name, attrs.get("value", "")))
        forms.append(form)
    return forms


def find_form(page, action=None, form_id=None):
    """The form whose action starts with ``action`` (or whose id is ``form_id``), or None."""
    for form in parse_forms(page):
        if form_id is not None and form.attrs.get("id") == form_id:
            return form
        if action is not None and form.action.split("?")[0] == action:
            return form
    return None


class LoginFailed(Exception):
    pass


def login(client, username, password):
    """Log in through the login form (its CSRF token included); the session stays in ``client``."""
    page = client.get("/login")
    form = find_form(page.text, action="/login")
    if page.status != 200 or form is None:
        raise LoginFailed(f"GET /login answered {page.status} without the login form")
    answer = client.post("/login", form.replaced(username=username, password=password))
    if answer.status != 303:
        raise LoginFailed(f"POST /login answered {answer.status}, not 303")
    return answer
