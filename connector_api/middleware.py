"""URLs holding NUL refused, in the error body of the API they were sent to.

`RefuseNulInUrl` refuses URLs holding a NUL character before any view looks them up. No
database stores NUL and PostgreSQL fails on a query holding one, so an order id, a filter or
an account name with `%00` would end in a 500 wherever it is looked up. Such a request answers
400 here, in the error body of the API it was sent to: this app owns every API family's body
but the seller API's, which is the kit's.
"""

from django.http import HttpResponseBadRequest, JsonResponse

from connectors.contract import UNKNOWN_FLOW, ContractError, response_body
from kit.api import error_body as seller_error

from .fulfillment_body import error_body as fulfillment_error
from .oms_view import INVALID
from .oms_view import error_body as oms_error

NUL = "\x00"
MESSAGE = "The URL has a NUL character (%00)."


def _api_error_body(path: str) -> dict | None:
    """Return the error body of the API family of `path`, or None for a page of the admin."""
    if not path.startswith("/api/"):
        return None
    problem = ContractError("EOI005", MESSAGE)
    if path.startswith("/api/order-integration/"):
        return response_body(code="EOI005", flow=UNKNOWN_FLOW, errors=[problem], message=MESSAGE)
    if path.startswith(("/api/fulfillment/", "/api/checkout/")):
        return fulfillment_error(code="EOI005", message=MESSAGE, errors=[problem])
    if path.startswith(("/api/oms/", "/api/orders/feed", "/api/orders/hook")):
        return oms_error(INVALID, MESSAGE)
    return seller_error("invalid", MESSAGE)


class RefuseNulInUrl:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        in_query = any(
            NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()
        )
        if NUL in request.path or in_query:
            body = _api_error_body(request.path)
            if body is None:
                return HttpResponseBadRequest(MESSAGE)
            return JsonResponse(body, status=400)
        return self.get_response(request)
