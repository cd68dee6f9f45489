"""The baseline: a Pyramid "hello world" (URL dispatch, one view, no tweens of our own).

bench.run serves it with the same waitress settings as production.ini, through an ini file
whose app section says ``use = call:bench.hello:main``. ``/304`` answers 304 Not Modified,
to show what waitress itself makes of a 304 (it closes the connection after each one).
"""

from pyramid.config import Configurator
from pyramid.response import Response


def hello(request):
    return Response("Hello World!", content_type="text/plain")


def not_modified(request):
    response = Response(status=304)
    response.etag = "hello"
    del response.content_type
    return response


def main(global_config, **settings):
    with Configurator(settings=settings) as config:
        config.add_route("hello", "/")
        config.add_view(hello, route_name="hello")
        config.add_route("not_modified", "/304")
        config.add_view(not_modified, route_name="not_modified")
    return config.make_wsgi_app()
