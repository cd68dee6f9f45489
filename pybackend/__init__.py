import gc

from pyramid.config import Configurator
from pyramid.interfaces import IRequestExtensions

from . import labels
from .config import apply_environment
from .request import Request

# Template settings that are part of the code, not of a deployment.
JINJA2_SETTINGS = {
    "jinja2.autoescape": "true",
    "jinja2.newstyle": "true",
    "jinja2.i18n.domain": "pybackend",
    "jinja2.undefined": "strict",
}


def main(global_config, **settings):
    """Build the pybackend WSGI application."""
    settings = {**JINJA2_SETTINGS, **apply_environment(settings)}
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include(".models")
        config.include(".security")
        config.include(".i18n")
        config.include(".proxies")
        config.include(".telemetry")
        config.include(".headers")
        config.include(".faults")
        config.include(".services.cache")
        config.include(".hosts")
        config.include(".metadata")
        config.include(".routes")
        config.scan(".views")
        config.commit()
        # The names of kinds, relations and roles (templates/macros.jinja2).
        config.get_jinja2_environment().globals["labels"] = labels
        use_one_request_class(config)
    app = config.make_wsgi_app()
    # The router need not apply the extensions to each request: its request class has
    # them already. They stay registered for everything else that makes requests
    # (pshell, pviews, prequest, pyramid.scripting.prepare).
    app.request_extensions = None
    # Pages are rendered on write through the same router (services/pages.py).
    app.registry["pybackend.router"] = app
    # What building the app made lives as long as the process: keep it out of the full
    # garbage collections, which otherwise walked all of it and paused every thread for
    # 150-500 ms now and then (the slowest 1 % of uncached pages).
    gc.collect()
    gc.freeze()
    return app


def use_one_request_class(config):
    """Put every request method and property on one Request subclass.

    Pyramid applies ``add_request_method`` extensions to each request by building a new
    class for it: about a fifth of the cost of a 304. Copied onto a class made once, they
    behave the same (reified properties still compute once per request). The registry
    keeps them too: Pyramid's command-line tools build plain requests and apply them.
    """
    extensions = config.registry.queryUtility(IRequestExtensions)
    if extensions is None:
        return
    attributes = {"__module__": Request.__module__, **extensions.methods}
    attributes.update(extensions.descriptors)
    config.set_request_factory(type("Request", (Request,), attributes))
