"""A tiny HTTP server run from the image's own CMD."""
import argparse
import http.server
import os


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"Hello from a Dockerfile app on Plat! (dyno {os.environ.get('DYNO', '?')})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5000)
port = parser.parse_args().port
http.server.ThreadingHTTPServer(("0.0.0.0", port), Hello).serve_forever()
