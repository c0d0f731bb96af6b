"""A web process that enqueues jobs in Redis (REDIS_URL) for the worker process to run."""
import os

from flask import Flask, jsonify, request
from redis import Redis
from rq import Queue
from rq.job import Job

import tasks

app = Flask(__name__)
redis = Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379"))
queue = Queue(connection=redis)


@app.route("/")
def index():
    return f"Worker queue on Plat: {len(queue)} job(s) waiting\n"


@app.route("/jobs", methods=["POST"])
def enqueue():
    job = queue.enqueue(tasks.square, int(request.args.get("n", "2")))
    return jsonify(id=job.id), 202


@app.route("/jobs/<job_id>")
def status(job_id):
    job = Job.fetch(job_id, connection=redis)
    return jsonify(status=job.get_status(), result=job.result)
