"""What every call of the OMS API shares: the connector's credentials, its account, the errors.

The order's calls (`connector_api.oms_api`), the feed's (`feed_api`) and the hook's settings
(`hook_api`) are `OmsApiView`s. Errors have the contract's shape,
`{"error": {"code", "message", "exception": null}}`:

| HTTP | code | when |
|---|---|---|
| 400 | OMS001 | the request has errors; the message names each field |
| 401 | OMS006 | missing or invalid credentials |
| 403 | OMS007 | `?an=` names another account than the connector's |
| 404 | OMS002 | no such order of the connector, no feed or hook configured |
| 409 | OMS003 | the order's status does not allow the action (the contract's code) |
| 409 | OMS004 | a feed or hook filter mixes FromWorkflow and FromOrders fields |
| 400 | OMS005 | a hook's URL did not answer the ping with 200 (the same message whatever happened) |
| 413 | HTTP413 | the body is over Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` |
| 429 | OMS008 | the connector is over its request rate: send again after `Retry-After` seconds |
"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, OpenApiTypes
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kit.api import JSONParser, api_exception
from kit.errors import DomainError

from . import examples
from .authentication import ConnectorAuthentication
from .examples import answer
from .rate_limit import ConnectorRateThrottle

INVALID, NOT_FOUND, WRONG_STATUS = "OMS001", "OMS002", "OMS003"
FILTER_CONFLICT, PING_FAILED, UNAUTHORIZED, FORBIDDEN = "OMS004", "OMS005", "OMS006", "OMS007"
RATE_LIMITED = "OMS008"
# A service's refusal (kit.errors.DomainError) by its code, in the contract's codes; any other
# refusal is the request's fault (400) or the order's status (409).
OMS_CODES = {"invalid": INVALID, "wrong_status": WRONG_STATUS, "filter_conflict": FILTER_CONFLICT}
OMS_CODES["ping_failed"] = PING_FAILED


class OmsError(exceptions.APIException):
    def __init__(self, status_code: int, code: str, message: str, *, wait: int | None = None):
        super().__init__(message)
        self.status_code, self.code, self.message, self.wait = status_code, code, message, wait


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "exception": None}}


def _messages(detail, prefix="") -> list[str]:
    """Flatten DRF's error detail into "field: message" lines."""
    if isinstance(detail, dict):
        lines = []
        for key, value in detail.items():
            if isinstance(key, int):
                lines += _messages(value, f"{prefix}[{key}]")
                continue
            name = "" if key == "non_field_errors" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            lines += _messages(value, path)
        return lines
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [f"{prefix}: {item}" if prefix else str(item) for item in detail]
        lines = []
        for index, item in enumerate(detail):
            if item:
                lines += _messages(item, f"{prefix}[{index}]")
        return lines
    return [f"{prefix}: {detail}" if prefix else str(detail)]


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "exception"],
            "properties": {
                "code": {"type": "string", "example": "OMS003"},
                "message": {"type": "string"},
                "exception": {"type": "null"},
            },
        }
    },
}
ACCOUNT_PARAMETER = OpenApiParameter(
    "an", OpenApiTypes.STR, description="The seller account; the connector's own account when left out."
)


def refused(name: str, code: str, message: str) -> OpenApiExample:
    return answer(name, error_body(code, message))


def errors(described: dict[int, tuple[str, list[OpenApiExample]]]) -> dict:
    """OpenAPI responses in the error shape, {status: (description, examples)}, with the 400, 401 and
    403 of every call."""
    common = {
        400: (
            "The URL has a NUL character (OMS001).",
            [refused("A NUL character", INVALID, "The URL has a NUL character (%00).")],
        ),
        401: (
            "Missing or invalid credentials (OMS006).",
            [refused("Unknown credentials", UNAUTHORIZED, examples.UNKNOWN_CREDENTIALS)],
        ),
        403: (
            "Another account than the connector's (OMS007).",
            [refused("Another account", FORBIDDEN, examples.OTHER_ACCOUNT)],
        ),
        429: (
            f"{examples.OVER_THE_RATE_DESCRIPTION} (OMS008)",
            [refused("Over the request rate", RATE_LIMITED, examples.OVER_THE_RATE)],
        ),
    }
    return {
        status: OpenApiResponse(ERROR_SCHEMA, description=description, examples=found)
        for status, (description, found) in (common | described).items()
    }


class OmsApiView(APIView):
    """A connector's call: its credentials, its account, and errors in the contract's shape."""

    authentication_classes = [ConnectorAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ConnectorRateThrottle]
    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.connector = request.auth
        name = request.query_params.get("an")
        if name and name != self.connector.account.name:
            raise OmsError(403, FORBIDDEN, f"This connector cannot act on account {name}.")

    def handle_exception(self, exc):
        exc = api_exception(exc)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            exc = OmsError(401, UNAUTHORIZED, str(exc.detail))
        elif isinstance(exc, exceptions.ValidationError):
            exc = OmsError(400, INVALID, "; ".join(_messages(exc.detail)) or "The request has errors.")
        elif isinstance(exc, exceptions.ParseError):
            exc = OmsError(400, INVALID, f"The body is not valid JSON: {exc.detail}")
        elif isinstance(exc, exceptions.Throttled):
            exc = OmsError(exc.status_code, RATE_LIMITED, str(exc.detail), wait=exc.wait)
        elif isinstance(exc, DomainError):
            fallback = INVALID if exc.status == 400 else WRONG_STATUS
            exc = OmsError(exc.status, OMS_CODES.get(exc.code, fallback), exc.message)
        if isinstance(exc, OmsError):
            response = Response(error_body(exc.code, exc.message), status=exc.status_code)
            if exc.status_code == 401:
                response["WWW-Authenticate"] = ConnectorAuthentication().authenticate_header(self.request)
            if exc.wait is not None:
                response["Retry-After"] = str(exc.wait)
            return response
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.APIException):
            response.data = error_body(f"HTTP{response.status_code}", str(exc.detail))
        return response
