"""A Pyramid app; Plat finds `application` made by make_wsgi_app() and runs it with gunicorn."""
import os

from pyramid.config import Configurator
from pyramid.response import Response


def hello(request):
    return Response(f"Hello from Pyramid on Plat! (dyno {os.environ.get('DYNO', '?')})\n")


with Configurator() as config:
    config.add_route("hello", "/")
    config.add_view(hello, route_name="hello")
    application = config.make_wsgi_app()
