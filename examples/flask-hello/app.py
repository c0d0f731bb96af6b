"""The smallest Flask app Plat deploys: `git push platform main` and it answers."""
import os

from flask import Flask

app = Flask(__name__)

GREETING = "Hello from Flask on Plat"


@app.route("/")
def hello():
    return f"{GREETING}! (dyno {os.environ.get('DYNO', '?')})\n"
