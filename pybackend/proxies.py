"""The client behind the reverse proxies we trust (``pybackend.trusted_proxies``).

waitress trusts one proxy address at most, so a proxy on another host, or several, made
every client share that proxy's address: one throttling key and one audit address for
all. Here the trusted proxies are a list of addresses and networks. For a request whose
peer is one of them, the client is found by walking ``Forwarded`` (RFC 7239) or, without
it, ``X-Forwarded-For`` from right to left, skipping trusted hops: the first address not
trusted is the client (the entries left of it are whatever the client claimed). The
scheme, host and port come from the nearest proxy's ``proto``/``host`` (or
``X-Forwarded-Proto``/``-Host``/``-Port``), so Pyramid's CSRF origin check runs behind
TLS. From any other peer every forwarded header is dropped, and its ``X-Request-Id``
is not taken (headers.py).
"""

import ipaddress
import threading

from pyramid.settings import aslist
from pyramid.tweens import INGRESS

from .config import ConfigurationError

PEER_ADDR = "pybackend.peer_addr"  # the address the connection really came from
TRUSTED_PEER = "pybackend.trusted_peer"
FORWARDED_KEYS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def parse_address(value):
    """An IP address from a header's ``for`` value (``[v6]:port``, ``v4:port``), or None."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None  # "unknown", an obfuscated "_hidden", garbage


class Networks:
    """A set of addresses and networks; what each address string is, is remembered."""

    MAX_REMEMBERED = 4096

    def __init__(self, networks):
        self.networks = tuple(networks)
        self._known = {}  # header or REMOTE_ADDR text -> (address text or None, trusted)
        self._lock = threading.Lock()

    @classmethod
    def from_setting(cls, value, name):
        networks = []
        for word in aslist(value or ""):
            try:
                networks.append(ipaddress.ip_network(word, strict=False))
            except ValueError:
                raise ConfigurationError(f"{name}: {word!r} is not an address or network") from None
        return cls(networks)

    def __bool__(self):
        return bool(self.networks)

    def lookup(self, text):
        """(the address in ``text`` or None if there is none, whether it is one of ours)."""
        known = self._known.get(text)
        if known is None:
            # Parsing costs more than the rest of the request's bookkeeping: once per text.
            address = parse_address(text)
            known = (None, False) if address is None else (str(address), self._match(address))
            with self._lock:
                if len(self._known) >= self.MAX_REMEMBERED:
                    self._known.clear()
                self._known[text] = known
        return known

    def __contains__(self, text):
        return bool(self.networks) and text is not None and self.lookup(text)[1]

    def _match(self, address):
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def _forwarded_elements(header):
    """RFC 7239 ``Forwarded``: one dict of lower-cased parameters per hop, left to right."""
    elements = []
    for element in header.split(","):
        params = {}
        for pair in element.split(";"):
            name, _, value = pair.partition("=")
            if value:
                params[name.strip().lower()] = value.strip().strip('"')
        elements.append(params)
    return elements


def _hops(forwarded, forwarded_for, proto, host, port):
    """(address strings, proto, host, port) the proxies forwarded, nearest proxy's last."""
    if forwarded:
        elements = _forwarded_elements(forwarded)
        nearest = elements[-1] if elements else {}
        return [e.get("for", "") for e in elements], nearest.get("proto"), nearest.get("host"), None

    def last(value):
        values = [v.strip() for v in (value or "").split(",") if v.strip()]
        return values[-1] if values else None

    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    return hops, last(proto), last(host), last(port)


def client_address(peer, hops, trusted):
    """The right-most hop that is not a trusted proxy (the peer itself when all are)."""
    client = peer
    for hop in reversed(hops):
        address, ours = trusted.lookup(hop.strip())
        if address is None:
            break  # a proxy of ours wrote something unreadable: stop at that proxy
        client = address
        if not ours:
            break
    return client


def _needs_port(host, port, scheme):
    """Whether X-Forwarded-Port must be added to a forwarded host that has no port."""
    has_port = bool(host) and ":" in host.rsplit("]", 1)[-1]
    return bool(host) and not has_port and port not in (None, _DEFAULT_PORTS.get(scheme))


def resolve(peer, headers, trusted):
    """What a trusted proxy's headers say: (client address, scheme, Host, port), None unsaid."""
    hops, proto, host, port = _hops(*headers)
    scheme = proto.lower() if proto and proto.lower() in _DEFAULT_PORTS else None
    if port and not port.isdigit():
        port = None
    if port is None and scheme is not None:
        port = _DEFAULT_PORTS[scheme]
    elif _needs_port(host, port, scheme):
        host = f"{host}:{port}"
    return client_address(peer, hops, trusted), scheme, host or None, port


class Resolver:
    """Applies ``resolve`` to requests, remembering the answer for each set of headers."""

    MAX_REMEMBERED = 4096

    def __init__(self, trusted):
        self.trusted = trusted
        self._known = {}
        self._lock = threading.Lock()

    def __call__(self, environ):
        """Rewrite ``environ`` for the client behind trusted proxies; drop the headers else."""
        peer = environ.get("REMOTE_ADDR", "")
        environ[PEER_ADDR] = peer
        if peer not in self.trusted:
            environ[TRUSTED_PEER] = False
            for key in FORWARDED_KEYS:
                environ.pop(key, None)
            return
        environ[TRUSTED_PEER] = True
        key = (peer, *(environ.get(name) for name in FORWARDED_KEYS))
        answer = self._known.get(key)
        if answer is None:
            answer = resolve(peer, key[1:], self.trusted)
            with self._lock:
                if len(self._known) >= self.MAX_REMEMBERED:
                    self._known.clear()
                self._known[key] = answer
        client, scheme, host, port = answer
        environ["REMOTE_ADDR"] = client
        if scheme is not None:
            environ["wsgi.url_scheme"] = scheme
        if host is not None:
            environ["HTTP_HOST"] = host
        if port is not None:
            environ["SERVER_PORT"] = port


def apply_forwarded(environ, trusted):
    """``Resolver(trusted)(environ)`` once (tests and scripts)."""
    Resolver(trusted)(environ)


def proxy_tween_factory(handler, registry):
    resolver = Resolver(registry["trusted_proxies"])

    def proxy_tween(request):
        resolver(request.environ)
        return handler(request)

    return proxy_tween


def includeme(config):
    settings = config.get_settings()
    config.registry["trusted_proxies"] = Networks.from_setting(
        settings.get("pybackend.trusted_proxies"), "pybackend.trusted_proxies"
    )
    # Outermost: everything after it sees the client, not the proxy.
    config.add_tween("pybackend.proxies.proxy_tween_factory", under=INGRESS)
