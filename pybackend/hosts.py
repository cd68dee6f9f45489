"""Allowed hosts and the public base URL (HOST-1).

Pyramid builds absolute URLs from the client's Host header. Here an unknown Host is
refused before routing, and absolute URLs come from ``pybackend.base_url``.
"""

from pyramid.settings import aslist

from .i18n import _
from .services.cache import is_api_path

PROBES = frozenset(("/healthz", "/readyz"))


def _hostname(host):
    host = (host or "").strip().lower()
    if host.startswith("["):  # [::1]:6543
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_check_tween_factory(handler, registry):
    allowed = {h.lower() for h in aslist(registry.settings.get("pybackend.allowed_hosts", ""))}

    def host_check_tween(request):
        environ = request.environ
        if "HTTP_HOST" not in environ and environ.get("PATH_INFO") in PROBES:
            # An HTTP/1.0 health probe sends no Host; it builds no URL, so it needs none.
            return handler(request)
        if allowed and "*" not in allowed and _hostname(request.host) not in allowed:
            # Imported here: the views import this module's helpers.
            from .views import errors
            from .views.api import errors as api_errors

            if is_api_path(request):
                return api_errors.error_response(request, 400, "This host name is not served here.")
            return errors.error_response(request, 400, _("Nama host ini tidak dilayani di sini."))
        return handler(request)

    return host_check_tween


def absolute_url(request, path):
    """``path`` on the configured public base URL (or this request's, when none is set)."""
    base = request.registry.settings.get("pybackend.base_url") or request.application_url
    return base.rstrip("/") + path


def includeme(config):
    config.add_request_method(absolute_url)
    # Outermost of ours: nothing, not even the page cache, answers an unknown Host.
    config.add_tween(
        "pybackend.hosts.host_check_tween_factory",
        over="pybackend.services.cache.page_cache_tween_factory",
    )
