"""/health/live and /health/ready, answered before any other middleware.

Load balancers probe a process by its address, over plain HTTP, with no session: the host check,
the HTTPS redirect, the language, the login and the lockout would each refuse or redirect them.
"""

from django.http import HttpResponseNotAllowed, JsonResponse

from .health import readiness

LIVE = "/health/live"
READY = "/health/ready"


def _answer(body: dict, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class HealthProbes:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in (LIVE, READY):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.path == LIVE:
            return _answer({"status": "live"}, 200)
        ready, checks = readiness()
        failing = sorted(name for name, check in checks.items() if not check["ok"])
        body = {"status": "ready" if ready else "not-ready", "failing": failing, "checks": checks}
        return _answer(body, 200 if ready else 503)
