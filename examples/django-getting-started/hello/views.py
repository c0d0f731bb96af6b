from django.db import connection
from django.shortcuts import render

from .models import Greeting


def index(request):
    return render(request, "index.html")


def db(request):
    """Saves a Greeting per visit and lists them all, saying how the database connection is secured."""
    greeting = Greeting()
    greeting.save()
    greetings = Greeting.objects.all()
    with connection.cursor() as cursor:
        cursor.execute("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")
        ssl, version = cursor.fetchone()
    return render(request, "db.html", {"greetings": greetings, "tls": version if ssl else "none"})
