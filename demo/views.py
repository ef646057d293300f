from django.conf import settings
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .receiver import received_call_record


@csrf_exempt  # called by the app's worker, as a connector is: no browser, no session
def connector_receive(request, rest=""):
    """The demo connector's endpoint: keep the call, answer 200. Not there unless DEMO_RECEIVER is on."""
    if not settings.DEMO_RECEIVER:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    call = received_call_record(path=request.get_full_path(), headers=request.headers, body=request.body)
    return JsonResponse({"received": call.pk, "signatureValid": call.signature_valid})
