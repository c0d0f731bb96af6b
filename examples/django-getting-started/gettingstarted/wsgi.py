"""WSGI config for gettingstarted: the `application` gunicorn serves."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gettingstarted.settings")
application = get_wsgi_application()
