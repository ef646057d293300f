"""What every seller API view shares: the account from `?an=`, and one error shape.

Errors answer `{"code": ..., "message": ..., "errors": [{"field": ..., "message": ...}]}`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from authorization.models import Account
from authorization.selectors import accounts_for


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


def error_body(code: str, message: str, errors=None) -> dict:
    return {"code": code, "message": message, "errors": list(errors or [])}


def exception_handler(exc, context):
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
