import os

from django.http import HttpResponse

from .models import Visit


def index(request):
    return HttpResponse(f"Hello from Django on Plat! (dyno {os.environ.get('DYNO', '?')})\n")


def visits(request):
    """Stores a row per request: shows the database (DATABASE_URL) is there and keeps data."""
    if request.method == "POST":
        Visit.objects.create()
    return HttpResponse(f"visits: {Visit.objects.count()}\n")
