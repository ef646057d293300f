"""What each log line is about: the request, the account, the connector, the order.

A context kept in a `contextvars.ContextVar`, set by the apps where they learn a value (the
request's middleware, the connector API's authentication, the intake, the notifications' delivery,
the start of a task) and added to every record by `LogContextFilter`. Setting it costs a dict:
nothing is read or formatted unless a record is emitted. With `LOG_FORMAT=json` each line is one
JSON object holding these fields (config/settings_logging.py); error reports carry them as tags
(`sentry_event_tags`).
"""

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from pythonjsonlogger.json import JsonFormatter

FIELDS = (
    "request_id",
    "account_id",
    "connector_id",
    "marketplace_order_id",
    "main_order_id",
    "task",
    "task_id",
)
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept when it is a short token (a UUID, a load balancer's trace id);
# anything else is replaced, so a caller cannot write arbitrary text into the logs.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

requests_logger = logging.getLogger(__name__)

# Never changed in place: each change sets a new mapping, so a context copied into another task or
# thread (asyncio, Celery's eager tasks) keeps its own.
_context: contextvars.ContextVar[Mapping] = contextvars.ContextVar(
    "log_context", default=MappingProxyType({})
)


def log_context() -> Mapping:
    """The current context: {field: value} of the fields known here."""
    return _context.get()


def log_context_set(**values) -> contextvars.Token:
    """Add values to the current context (None leaves a field as it is); return the token that
    `log_context_restore` takes to put the previous context back."""
    return _context.set(
        {**_context.get(), **{key: value for key, value in values.items() if value is not None}}
    )


def log_context_start(**values) -> contextvars.Token:
    """Start a fresh context (a request's, a task's) with these values only."""
    return _context.set({key: value for key, value in values.items() if value is not None})


def log_context_restore(token: contextvars.Token) -> None:
    _context.reset(token)


def log_context_clear(**signal) -> None:
    """Forget the context (a request or a task is over); connectable to a signal."""
    _context.set(MappingProxyType({}))


@contextmanager
def log_context_bound(**values) -> Iterator[None]:
    """Add values to the context for the `with` block only."""
    token = log_context_set(**values)
    try:
        yield
    finally:
        _context.reset(token)


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accepted(incoming: str | None) -> str:
    """The caller's request id when it is a sane short token, else a new one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return request_id_new()


class LogContextFilter(logging.Filter):
    """Give every record the context's fields (a record's own attributes of that name win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, the context's fields
    and whatever `extra` a line gives, and the exception's traceback."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


class RequestLogContext:
    """Middleware: start each request's log context with its request id, answer with it in
    `X-Request-ID`, and log one line for the request (method, route, status, duration) carrying
    what the request learned (the account, the connector, the order). The id is the caller's when
    it sent a sane one, so that a line here can be matched with the load balancer's or the caller's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request_id = request_id_accepted(request.headers.get(REQUEST_ID_HEADER))
        # Not reset on the way out: Django logs an error response after the middleware returned;
        # the context is cleared when the request finishes (`kit.apps`).
        log_context_start(request_id=request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        if requests_logger.isEnabledFor(logging.INFO):
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            path = route_of(request)
            requests_logger.info(
                "%s %s %s %sms",
                request.method,
                path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
        return response


def route_of(request) -> str:
    """The URL pattern the request matched (`/decide/<str:token>`), else its path: a path can hold
    a credential (an e-mail's decision link), which no log line or error report may carry."""
    match = getattr(request, "resolver_match", None)
    return f"/{match.route}" if match is not None and match.route else request.path


def sentry_before_send(event: dict, hint: dict) -> dict:
    """Sentry's `before_send`: the log context as the event's tags; the request's URL as the pattern
    it matched (the transaction's name) and no Referer, as a path can hold a credential."""
    context = _context.get()
    if context:
        event["tags"] = {**{key: str(value) for key, value in context.items()}, **(event.get("tags") or {})}
    request = event.get("request")
    if request:
        if "url" in request:
            scheme_and_host = request["url"].split("/", 3)[:3]
            request["url"] = "/".join(scheme_and_host) + (event.get("transaction") or "/")
        request.pop("query_string", None)
        headers = request.get("headers") or {}
        for name in [name for name in headers if name.lower() == "referer"]:
            del headers[name]
    return event
