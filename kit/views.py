"""Error pages of the whole site (`handler500` in `config.urls`)."""

import sys

from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

from .api import RETRY_AFTER_SECONDS, database_unavailable


def server_error(request):
    """Answer a database that cannot be reached with 503 and Retry-After; anything else as Django does.

    The APIs answer it in their own bodies (`kit.api.api_exception`); this is for the admin's
    pages. The page is rendered without the request's context, which would read the database.
    """
    if database_unavailable(sys.exception()):
        body = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request)
