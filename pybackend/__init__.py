from pyramid.config import Configurator

from .config import apply_environment

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
        config.include(".headers")
        config.include(".services.cache")
        config.include(".hosts")
        config.include(".metadata")
        config.include(".routes")
        config.scan(".views")
    return config.make_wsgi_app()
