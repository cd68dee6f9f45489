"""Probes for the process manager and the load balancer."""

from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError


@view_config(
    route_name="healthz",
    renderer="json",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD"),
)
def healthz(request):
    """The process is up; says nothing of the database."""
    request.response.cache_control = "no-store"
    return {"status": "ok"}


@view_config(
    route_name="readyz",
    renderer="json",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD"),
)
def readyz(request):
    """The database answers: route traffic here."""
    request.response.cache_control = "no-store"
    try:
        with request.registry["dbengine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        request.response.status_int = 503
        request.response.headers["Retry-After"] = "5"
        return {"status": "unavailable", "database": "unreachable"}
    return {"status": "ok", "database": "ok"}
