"""Gunicorn's settings, read by `gunicorn --config gunicorn.conf.py` in the Procfile."""
import os

bind = ["0.0.0.0:" + os.environ.get("PORT", "5006")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"
# Dyno managers stop processes with SIGTERM: let requests in flight finish.
graceful_timeout = 20
