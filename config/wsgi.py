"""WSGI entry point: `gunicorn config.wsgi`."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# The views load now rather than at the first request, and what a process keeps for its life is
# left out of the collector's full passes, which otherwise stall a request for ~100 ms
# (docs/operations.md#processes).
import_module(settings.ROOT_URLCONF)
gc.collect()
gc.freeze()
