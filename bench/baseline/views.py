from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kit.enqueue import enqueue_on_commit

from .models import Submission
from .tasks import relay

LOCAL = "http://127.0.0.1:"


class BareOrders(APIView):
    """Parse the body and insert it; no authentication, no contract, nothing queued unless asked."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def post(self, request):
        body = request.data
        submission = Submission.objects.create(
            marketplace_order_id=str(body.get("marketplaceOrderId", "")), body=body
        )
        relay_to = request.query_params.get("relay", "")
        if relay_to.startswith(LOCAL):  # the benchmark's receiver, on this machine only
            enqueue_on_commit(relay, submission.pk, relay_to)
        return Response({"code": "SOI003"})
