"""A plain PEP 3333 application: no framework, served by uWSGI as the Procfile asks."""
import os


def application(environ, start_response):
    body = f"Hello from plain WSGI on Plat! (dyno {os.environ.get('DYNO', '?')}, server {environ.get('SERVER_SOFTWARE', 'uWSGI')})\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
