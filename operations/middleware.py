"""/health/live, /health/ready and /metrics, answered before any other middleware; and the count
of every other request.

Load balancers and Prometheus probe a process by its address, over plain HTTP, with no session:
the host check, the HTTPS redirect, the language, the login and the lockout would each refuse or
redirect them.
"""

import hmac
import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse

from .health import readiness
from .metrics import exposition, http_request_observe

LIVE = "/health/live"
READY = "/health/ready"
METRICS = "/metrics"
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def metrics_allowed(request) -> bool:
    """Whether the request carries `Authorization: Bearer METRICS_TOKEN`; any request when no token is set."""
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Compared in constant time, whatever the length given.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_answer(request):
    if not metrics_allowed(request):
        response = _answer({"status": "unauthorized"}, 401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(exposition(), content_type=PROMETHEUS_TEXT)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HealthProbes:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in (LIVE, READY, METRICS):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.path == METRICS:
            return metrics_answer(request)
        if request.path == LIVE:
            return _answer({"status": "live"}, 200)
        ready, checks = readiness()
        failing = sorted(name for name, check in checks.items() if not check["ok"])
        body = {"status": "ready" if ready else "not-ready", "failing": failing, "checks": checks}
        return _answer(body, 200 if ready else 503)


class RequestMetrics:
    """Count each request and its time, under the view that answered it (`operations.metrics`).
    Second of the middleware: the probes above are not counted, everything below is timed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        http_request_observe(request, response.status_code, time.perf_counter() - started)
        return response
