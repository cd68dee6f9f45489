"""The bad-input corpus: values for every kind of thing a request carries, and what each
must get. Built from tables, so that a case is one line and the suite covers every route.
"""

import re

# An id placeholder's values: (value, what it must get when the route exists for valid ids).
IDS = [
    ("0", {404}),
    ("2147483647", {404}),  # the largest 32-bit id: no such row
    ("2147483648", {404}),  # one past the id column's range on PostgreSQL
    ("4294967296", {404}),
    ("9223372036854775807", {404}),
    ("9223372036854775808", {404}),
    ("99999999999999999999", {404}),
    ("-1", {404}),
    ("00000000000000000001", {404}),
    ("1e3", {404}),
    ("abc", {404}),
    ("%00", {404}),
    ("%FF", {400}),
    ("%C0%AF", {400}),
    ("%E2%82", {400}),
    ("%D9%A1", {404}),
    ("1%0A", {404}),
    ("1 ", {404}),
    ("+1", {404}),
    ("0x10", {404}),
]
SLUGS = [
    ("does-not-exist", {404}),
    ("a" * 300, {404}),
    ("Django", {404}),
    ("django%0A", {404}),
    ("dj%00ango", {404}),
    ("%FF", {400}),
    ("%ED%A0%80", {400}),  # an encoded surrogate: not UTF-8
    ("%F4%90%80%80", {400}),  # past U+10FFFF
    ("..%2F..%2Fetc", {404}),
    ("-", {404}),
    ("a--b", {404}),
]
NUMBERS = [
    ("0", {404}),
    ("999999999", {404}),
    ("2147483648", {404}),
    ("99999999999999999999", {404}),
    ("-1", {404}),
    ("x", {404}),
]
PLACEHOLDER_VALUES = {"id": IDS, "link": IDS, "slug": SLUGS, "name": SLUGS, "number": NUMBERS}

# Query strings, on every GET route. 400 where it is not UTF-8; elsewhere anything but a 500.
QUERIES = [
    ("page=abc", None),
    ("page=-1", None),
    ("page=0", None),
    ("page=2147483648", None),
    ("page=99999999999999999999", None),
    ("page=9223372036854775808", None),
    ("page=1e9", None),
    ("page=1&page=2", None),
    ("q=%FF", {400}),
    ("q=%C3%28", {400}),
    ("q=%E2%82%28", {400}),
    ("%FF=1", {400}),
    ("q=%ED%A0%80", {400}),
    ("q=%00", None),
    ("q=%0D%0ASet-Cookie:x=1", None),
    ("q=" + "x" * 5000, None),
    ("q=%", None),
    ("q=%Z1", None),
    ("q=a;b", None),
    ("q=\u00e9".encode().decode("latin-1"), None),
    ("q=\xff", {400}),
    ("kind=nope", None),
    ("kind=%FF", {400}),
    ("status=xx&translation=yy", None),
    ("type=nope&q=dj", None),
    ("type=topic&q=%00", None),
    ("lang=xx", None),
    ("lang=en&lang=id", None),
    ("next=//evil.example/", None),
    ("next=%FF", {400}),
    ("from=9223372036854775808&to=-1", None),
    ("from=abc&to=", None),
    ("a=1&" * 200, None),
    ("===&&&", None),
]

# Header oddities: (environ key, value, expected or None for "anything but a 500").
HEADERS = [
    ("HTTP_USER_AGENT", "\xff\xfe", {400}),
    ("HTTP_REFERER", "http://example.com/\xc3\x28", {400}),
    ("HTTP_ACCEPT_LANGUAGE", "\xe9", {400}),
    ("HTTP_X_REQUEST_ID", "\xff" * 20, {400}),
    ("HTTP_X_REQUEST_ID", "a" * 5000, None),
    ("HTTP_IF_NONE_MATCH", "\xff", {400}),
    ("HTTP_IF_NONE_MATCH", '"' * 300, None),
    ("HTTP_IF_MODIFIED_SINCE", "not a date", None),
    ("HTTP_IF_MODIFIED_SINCE", "Mon, 99 Foo 99999 99:99:99 GMT", None),
    ("HTTP_IF_MODIFIED_SINCE", "Thu, 01 Jan 1970 00:00:00 GMT", None),
    ("HTTP_IF_MODIFIED_SINCE", "Fri, 31 Dec 9999 23:59:59 GMT", None),
    ("HTTP_ACCEPT", "*/*;q=abc", None),
    ("HTTP_ACCEPT_LANGUAGE", "zz-ZZ;q=2, *;q=-1", None),
    ("HTTP_COOKIE", "pybackend_session=\xff\xfe", {400}),
    ("HTTP_COOKIE", 'pybackend_session="\\377\\376"', None),
    ("HTTP_COOKIE", "pybackend_session=" + "a" * 4000, None),
    ("HTTP_COOKIE", "pybackend_session=x.y.z; pybackend_session=q", None),
    ("HTTP_COOKIE", "pybackend_login=" + "%FF" * 11, None),
    ("HTTP_COOKIE", "=;;==;", None),
    ("HTTP_ORIGIN", "null", None),
    ("HTTP_X_CSRF_TOKEN", "\xff", {400}),
    ("HTTP_HOST", "example.com\xff", {400}),
    ("HTTP_HOST", "evil.example", {400}),
    ("HTTP_HOST", "", {400}),
    ("HTTP_HOST", "example.com:99999999999999", None),
]


def multipart(fields, boundary="XyZ123"):
    """A multipart/form-data body of (name, value bytes) pairs."""
    b = boundary.encode()
    parts = [
        b"--"
        + b
        + b'\r\nContent-Disposition: form-data; name="'
        + name.encode()
        + b'"\r\n\r\n'
        + value
        for name, value in fields
    ]
    return b"\r\n".join(parts) + b"\r\n--" + b + b"--\r\n"


MULTIPART = "multipart/form-data; boundary=XyZ123"
URLENCODED = "application/x-www-form-urlencoded"


def bodies(token):
    """Form bodies for every POST route: (name, content type, body, expected or None)."""
    tok = token.encode()
    good = multipart([("csrf_token", tok), ("title", b"ok")])
    return [
        ("urlencoded-raw-ff", URLENCODED, b"csrf_token=" + tok + b"&title=\xff", {400}),
        ("urlencoded-pct-ff", URLENCODED, b"csrf_token=" + tok + b"&title=%FF", {400}),
        ("urlencoded-overlong", URLENCODED, b"csrf_token=" + tok + b"&title=%C0%AF", {400}),
        ("urlencoded-surrogate", URLENCODED, b"csrf_token=" + tok + b"&body=%ED%A0%80", {400}),
        ("urlencoded-name-ff", URLENCODED, b"csrf_token=" + tok + b"&%FF=1", {400}),
        ("urlencoded-latin1", URLENCODED + "; charset=iso-8859-1", b"csrf_token=" + tok, {400}),
        ("urlencoded-bad-pct", URLENCODED, b"csrf_token=" + tok + b"&title=%Z&body=%", None),
        ("urlencoded-no-equals", URLENCODED, b"csrf_token=" + tok + b"&&&title", None),
        ("urlencoded-nul", URLENCODED, b"csrf_token=" + tok + b"&title=%00&slug=%00", None),
        ("urlencoded-control", URLENCODED, b"csrf_token=" + tok + b"&title=a%1Bb", None),
        ("urlencoded-huge", URLENCODED, b"csrf_token=" + tok + b"&body=" + b"x" * 300_000, None),
        ("urlencoded-many", URLENCODED, b"csrf_token=" + tok + b"&x=1" * 20_000, None),
        ("urlencoded-dup-token", URLENCODED, b"csrf_token=" + tok + b"&csrf_token=x", None),
        ("urlencoded-no-token", URLENCODED, b"title=x", {400}),
        ("multipart-no-boundary", "multipart/form-data", good, {400}),
        ("multipart-empty-boundary", "multipart/form-data; boundary=", good, {400}),
        ("multipart-wrong-boundary", "multipart/form-data; boundary=Other", good, {400}),
        ("multipart-long-boundary", "multipart/form-data; boundary=" + "b" * 200, good, {400}),
        ("multipart-truncated", MULTIPART, good[: len(good) // 2], {400}),
        ("multipart-no-close", MULTIPART, good[: good.rindex(b"--XyZ123--")], {400}),
        ("multipart-garbage", MULTIPART, b"\x00\xff" * 100, {400}),
        ("multipart-ff", MULTIPART, multipart([("csrf_token", tok), ("title", b"\xff")]), {400}),
        ("multipart-name-ff", MULTIPART, multipart([("csrf_token", tok), ("\xff", b"1")]), {400}),
        ("multipart-no-token", MULTIPART, multipart([("title", b"x")]), {400}),
        (
            "multipart-ok-fffd",
            MULTIPART,
            multipart([("csrf_token", tok), ("title", "\ufffd".encode())]),
            None,
        ),
        (
            "multipart-file",
            MULTIPART,
            good.replace(b'name="title"', b'name="title"; filename="a.txt"'),
            None,
        ),
        ("json", "application/json", b'{"csrf_token": "' + tok + b'"}', {400}),
        ("text", "text/plain", b"csrf_token=" + tok, {400}),
        ("no-type", "", b"csrf_token=" + tok, None),
        ("empty", URLENCODED, b"", {400}),
    ]


VERSIONS = ["9223372036854775808", "2147483648", "-1", "abc", "", "\u00b2", "1.0", "0x1", " 1"]


METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "TRACE", "FOO"]


def fill(pattern, values):
    """A route pattern with each ``{name:regex}`` replaced by ``values[name]``."""
    return re.sub(r"\{(\w+)(?::(?:[^{}]|\{[^{}]*\})*)?\}", lambda m: values[m.group(1)], pattern)


def placeholders(pattern):
    return re.findall(r"\{(\w+)", pattern)
