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


def primary_state(engine):
    """ok, read-only (a standby, where no edit or login can commit) or unreachable."""
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                if connection.execute(text("SELECT pg_is_in_recovery()")).scalar():
                    return "read-only"
            else:
                connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return "unreachable"
    return "ok"


@view_config(
    route_name="readyz",
    renderer="json",
    permission=NO_PERMISSION_REQUIRED,
    request_method=("GET", "HEAD"),
)
def readyz(request):
    """The primary database answers and takes writes: route traffic here.

    A read replica is reported but never makes the process unready: without it, reads go
    to the primary.
    """
    request.response.cache_control = "no-store"
    state = primary_state(request.registry["dbengine"])
    body = {"status": "ok" if state == "ok" else "unavailable", "database": state}
    replica = request.registry.get("replica")
    if replica is not None:
        replica.usable()  # starts the monitor in a process that has served nothing yet
        body["replica"] = replica.report()
    if state != "ok":
        request.response.status_int = 503
        request.response.headers["Retry-After"] = "5"
    return body
