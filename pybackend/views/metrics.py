"""``/metrics`` for Prometheus, to the configured addresses only (others get a 404)."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config


@view_config(
    route_name="metrics", permission=NO_PERMISSION_REQUIRED, request_method=("GET", "HEAD")
)
def metrics_view(request):
    registry = request.registry
    # The client as proxies.py found it: behind a trusted proxy, the address beyond it.
    if request.client_addr not in registry["metrics_allow"]:
        raise HTTPNotFound()
    metrics = registry["metrics"]
    metrics.pool(registry["dbengine"].pool)
    body, content_type = metrics.exposition()
    response = Response(body=body, headerlist=[("Content-Type", content_type)])
    response.cache_control = "no-store"
    return response
