"""What every seller API view shares: the account from `?an=`, and one error shape; and the JSON parser
of every API.

Errors answer `{"code": ..., "message": ..., "errors": [{"field": ..., "message": ...}]}`.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from authorization.models import Account
from authorization.selectors import accounts_for

from .text import unstorable_problems

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before sending again a request the database could not serve.
RETRY_AFTER_SECONDS = 5


def _flatten(detail, prefix=""):
    """Turn DRF's nested error detail into a flat list of {field, message}."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):
                yield from _flatten(value, f"{prefix}[{key}]")
                continue
            name = key if key != "non_field_errors" else ""
            yield from _flatten(value, f"{prefix}.{name}" if prefix and name else (prefix or name))
    elif isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                yield {"field": prefix or None, "message": str(item)}
        else:
            for index, item in enumerate(detail):
                if item:
                    yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield {"field": prefix or None, "message": str(detail)}


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The body is over the size limit."


class ServiceUnavailable(exceptions.APIException):
    """The database cannot be reached (restarting, failing over): nothing was done; send again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"
    default_detail = (
        f"The service is briefly unavailable and did nothing: send the request again in "
        f"{RETRY_AFTER_SECONDS} seconds."
    )
    wait = RETRY_AFTER_SECONDS  # DRF's handler answers it as Retry-After


def document_unavailable(result, generator, request, public):
    """Document the 503 of every authenticated operation, in the body its API answers its 401 with.

    drf-spectacular's postprocessing hook (`SPECTACULAR_SETTINGS`): any operation that reads
    the database can meet it unavailable.
    """
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if not responses or "401" not in responses or "503" in responses:
                continue
            responses["503"] = {
                "description": "The database is briefly unavailable and nothing was done: send the "
                "request again after the seconds of Retry-After.",
                "headers": {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                },
                **({"content": responses["401"]["content"]} if "content" in responses["401"] else {}),
            }
    return result


def database_unavailable(exc) -> bool:
    """Whether `exc` says the database could not be reached or dropped the connection."""
    return isinstance(exc, OperationalError | InterfaceError)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 what would otherwise fail with a 500.

    JSON nested too deeply for Python to parse, and strings holding NUL or a lone surrogate,
    which no database stores (`config.text`).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
        problems = unstorable_problems(data)
        if problems:
            raise exceptions.ParseError(f"JSON parse error - {'; '.join(problems)}.")
        return data


def api_exception(exc):
    """Return what Django raises as the API exception each API answers in its own shape.

    Django raises `RequestDataTooBig` (answered as a bare 400 page) when DRF reads a body over
    `DATA_UPLOAD_MAX_MEMORY_SIZE`: a 413. A database that cannot be reached is a 503 with
    Retry-After, which a client retries, rather than a 500 page.
    """
    if isinstance(exc, RequestDataTooBig):
        return BodyTooLarge(f"The body is over the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    if database_unavailable(exc):
        logger.warning("The database is unavailable; answering 503: %s", exc)
        return ServiceUnavailable()
    return exc


def error_body(code: str, message: str, errors=None) -> dict:
    return {"code": code, "message": message, "errors": list(errors or [])}


def exception_handler(exc, context):
    exc = api_exception(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "The request has errors.", _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = error_body(str(code), str(detail))
    response.data = body
    return response


def request_account(request) -> Account:
    """Return the account named by `?an=`, or the user's only account when `an` is absent.

    An account the user does not belong to answers 403, whether it exists or not.
    """
    visible = accounts_for(user=request.user)
    name = request.query_params.get("an")
    if not name:
        only = list(visible[:2])
        if len(only) == 1:
            return only[0]
        raise exceptions.ValidationError({"an": ["Name the account: ?an=ACCOUNT."]})
    account = visible.filter(name=name).first()
    if account is None:
        raise exceptions.PermissionDenied(f"You have no access to account '{name}'.")
    return account


def permission_denied_response(message: str) -> Response:
    return Response(error_body("permission_denied", message), status=status.HTTP_403_FORBIDDEN)
