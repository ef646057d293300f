"""What every API shares: one error shape for the seller API, the JSON parser, and the answers to a
body too large and a database out of reach. The account a seller request names is tenancy's
(`accounts.api_auth.request_account`).

Errors answer `{"code": ..., "message": ..., "errors": [{"field": ..., "message": ...}]}`.
"""

import json
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response

from .errors import REQUEST_INVALID, DomainError
from .text import json_path, may_hold_unstorable, unstorable_problems

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


def database_unavailable(exc) -> bool:
    """Whether `exc` says the database could not be reached or dropped the connection."""
    return isinstance(exc, OperationalError | InterfaceError)


class JSONFraction(float):
    """A number written with a fraction or an exponent (`2580.0`, `2.58e3`): never a JSON integer.

    JSON Schema since draft 6 counts 2580.0 as an integer by its value, but the contract means
    what is written. The schema checkers ask `is_integer()`, and this answer makes them refuse it.
    """

    __slots__ = ()

    def is_integer(self) -> bool:
        return False


@dataclass(frozen=True)
class BodyProblem:
    """What is wrong with a request body, and where: `field` is a path (`items[0].price`) or None."""

    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.field} {self.message}" if self.field else self.message


class BodyInvalid(exceptions.ParseError):
    """A body that is not the APIs' JSON; each problem names where it is."""

    def __init__(self, problems: list[BodyProblem]):
        self.problems = problems
        super().__init__(f"JSON parse error - {'; '.join(map(str, problems))}.")


class _NonFinite:
    """Where `NaN`, `Infinity` or a number beyond a float's range stood, until its path is named."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _non_finite_problems(node, parts: tuple = ()) -> list[BodyProblem]:
    if isinstance(node, _NonFinite):
        return [BodyProblem(json_path(parts) or None, f"must be a finite number, not {node.text[:40]}")]
    if isinstance(node, dict):
        return [
            problem for key, value in node.items() for problem in _non_finite_problems(value, (*parts, key))
        ]
    if isinstance(node, list):
        return [
            problem
            for index, value in enumerate(node)
            for problem in _non_finite_problems(value, (*parts, index))
        ]
    return []


def json_media_type_problem(content_type: str) -> str | None:
    """Say why a body of this Content-Type is not the APIs' JSON (`application/json`, UTF-8); None when it is."""
    media_type, params = parse_header_parameters(content_type or "")
    if media_type != "application/json":
        return f"Content-Type must be application/json, not {content_type or 'none'}"
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return f"JSON is read in UTF-8 only, not {params['charset']}"
    return None


def json_body(raw: bytes):
    """Parse a request body as every API reads JSON: UTF-8 only, and every number finite.

    Python's parser takes `NaN` and `Infinity`, turns `1e400` into infinity, and guesses UTF-16
    or UTF-32 from the bytes; no database or price computation takes the first two, and the
    contract says UTF-8. A number written with a fraction or exponent is a `JSONFraction`. Raise
    `BodyInvalid`.
    """
    if b"\x00" in raw:  # UTF-8 JSON never holds a NUL byte; UTF-16 and UTF-32 text always does
        raise BodyInvalid([BodyProblem(None, "The body must be UTF-8: it looks like UTF-16 or UTF-32")])
    try:
        text = raw.decode()
    except UnicodeDecodeError as error:
        raise BodyInvalid([BodyProblem(None, f"The body is not UTF-8 (byte {error.start})")]) from None
    flagged = []

    def non_finite(token: str) -> _NonFinite:
        flagged.append(token)
        return _NonFinite(token)

    def number(token: str) -> float:
        value = JSONFraction(token)
        return value if math.isfinite(value) else non_finite(token)

    try:
        data = json.loads(text, parse_float=number, parse_constant=non_finite)
    except RecursionError:
        raise BodyInvalid([BodyProblem(None, "The body is nested too deeply")]) from None
    except ValueError as error:  # JSONDecodeError, and integers over Python's 4300 digits
        raise BodyInvalid([BodyProblem(None, f"The body is not valid JSON: {error}")]) from None
    if flagged:
        raise BodyInvalid(_non_finite_problems(data))
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, reading as `json_body` does and refusing with a 400 what would otherwise fail.

    Besides what `json_body` refuses: strings holding NUL or a lone surrogate, which no database
    stores (`kit.text`). A charset other than UTF-8 is an unsupported media type.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        problem = json_media_type_problem(media_type or "")
        if problem:
            raise exceptions.UnsupportedMediaType(media_type, detail=f"{problem}.")
        raw = stream.read()
        data = json_body(raw)
        problems = unstorable_problems(data) if may_hold_unstorable(raw) else []
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
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES, this module, as it loads.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    exc = api_exception(exc)
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(
            {**error_body(exc.code, exc.message, exc.errors), **exc.details()},
            status=exc.status,
            headers=exc.headers(),
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", REQUEST_INVALID, _flatten(exc.detail))
    elif isinstance(exc, BodyInvalid):
        problems = [{"field": problem.field, "message": problem.message} for problem in exc.problems]
        body = error_body("parse_error", str(exc.detail), problems)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = error_body(str(code), str(detail))
    response.data = body
    return response
