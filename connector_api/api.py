"""The connector API: order integration (place an order, approve it), as the contract describes it.

Every answer, error or not, has the contract's body (`connectors.contract.response_body`).
The body is checked here, synchronously; everything else happens in processing, and its
result reaches the connector as a notification.
"""

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
)
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors import contract
from kit.api import BodyInvalid, ServiceUnavailable, api_exception, json_body, json_media_type_problem
from kit.text import may_hold_unstorable, unstorable_character
from orders.intake.pipeline import intake_kick_ahead
from orders.intake.receive import intake_receive

from . import examples
from .authentication import ConnectorAuthentication
from .examples import contract_answer
from .rate_limit import ConnectorRateThrottle
from .selectors import connector_placed


class ContractException(exceptions.APIException):
    def __init__(
        self, status_code: int, code: str, errors: list[contract.ContractError], message: str | None = None
    ):
        super().__init__(message or contract.MESSAGES.get(code, code))
        self.status_code, self.code, self.errors, self.message = status_code, code, errors, message


def contract_response(
    *, status_code: int, code: str, flow: str, errors=None, message=None, **fields
) -> Response:
    body = contract.response_body(code=code, flow=flow, errors=errors, message=message, **fields)
    return Response(body, status=status_code)


ACCOUNT_PARAMETER = OpenApiParameter(
    "an", OpenApiTypes.STR, description="The seller account; the connector's own account when left out."
)
CONTRACT_RESPONSE = {
    "type": "object",
    "required": [
        "marketplaceOrderId",
        "accountName",
        "code",
        "flow",
        "success",
        "operationId",
        "errors",
        "fields",
        "message",
    ],
    "properties": {
        "marketplaceOrderId": {"type": ["string", "null"]},
        "accountName": {"type": ["string", "null"]},
        "code": {"type": "string"},
        "flow": {"type": "string", "enum": ["PlaceOrder", "ApproveOrder", "Unknown"]},
        "success": {"type": "boolean"},
        "operationId": {"type": ["string", "null"]},
        "errors": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "source": {"type": "string"},
                    "code": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
        },
        "fields": {
            "type": ["object", "null"],
            "properties": {
                "mainOrderId": {"type": ["string", "null"]},
                "franchiseOrderId": {"type": ["string", "null"]},
            },
        },
        "message": {"type": "string"},
    },
}


def _taking_statuses(name: str, *statuses: str) -> dict:
    """The contract's schema `name`, whose marketplaceOrderStatus its check takes only as one of `statuses`,
    in any case (`contract.check_place_order`, `contract.check_update_status`)."""
    schema = contract.schema(name)
    any_case = "|".join("".join(f"[{letter.upper()}{letter}]" for letter in status) for status in statuses)
    schema["properties"]["marketplaceOrderStatus"]["pattern"] = f"^({any_case})$"
    return schema


def _responses(flow: str, success: OpenApiExample, invalid: str) -> dict:
    """The answers of an order integration call, each with an example; `invalid` names a field problem."""
    unknown, other = examples.UNKNOWN_CREDENTIALS, examples.OTHER_ACCOUNT

    def refusal(name: str, code: str, error_code: str, description: str, message=None) -> OpenApiExample:
        error = (contract.SOURCE_INTEGRATION, error_code, description)
        return contract_answer(name, code=code, flow=flow, errors=[error], message=message)

    def described(description: str, *shown: OpenApiExample) -> OpenApiResponse:
        return OpenApiResponse(CONTRACT_RESPONSE, description=description, examples=list(shown))

    return {
        200: described("Order successfully enqueued (SOI003).", success),
        400: described(
            "The body is not in the contract's shape (EOI005).",
            refusal("A field in the wrong shape", "EOI005", "EOI005", invalid),
        ),
        401: described(
            "Missing or invalid credentials.",
            refusal("Unknown credentials", "EOI001", "AUTH", unknown, unknown),
        ),
        403: described(
            "Another account than the connector's.",
            refusal("Another account", "EOI001", "AUTH", other, other),
        ),
        413: described(
            "The body is over the size limit.", refusal("Too large", "EOI005", "EOI005", examples.too_large())
        ),
        415: described(
            "The body is not JSON: Content-Type application/json, in UTF-8.",
            refusal("Not JSON", "EOI005", "EOI005", examples.NOT_JSON),
        ),
        429: described(
            f"{examples.OVER_THE_RATE_DESCRIPTION} (EOI001, {contract.RATE_LIMITED})",
            refusal(
                "Over the request rate",
                "EOI001",
                contract.RATE_LIMITED,
                examples.OVER_THE_RATE,
                examples.OVER_THE_RATE,
            ),
        ),
    }


class ConnectorAPIView(APIView):
    authentication_classes = [ConnectorAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ConnectorRateThrottle]
    parser_classes = []
    flow = contract.UNKNOWN_FLOW
    check = None
    places_orders = False  # the body is an order (or an array of one) with its marketplaceOrderId
    _raw = None

    def redis_ahead(self) -> tuple:
        """What the view asks of the app's Redis ahead, with authentication's round trip: each
        look has `send(pipeline)` and `read(reply)`."""
        return ()

    def initial(self, request, *args, **kwargs):
        request.redis_ahead = self.redis_ahead()
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        exc = api_exception(exc)
        if isinstance(exc, ServiceUnavailable):
            response = contract_response(
                status_code=exc.status_code,
                code="EOI006",
                flow=self.flow,
                errors=[contract.ContractError("EOI006", str(exc.detail))],
            )
            response["Retry-After"] = str(exc.wait)
            return response
        if isinstance(exc, exceptions.Throttled):
            response = contract_response(
                status_code=exc.status_code,
                code="EOI001",
                flow=self.flow,
                errors=[contract.ContractError(contract.RATE_LIMITED, str(exc.detail))],
                message=str(exc.detail),
            )
            response["Retry-After"] = str(exc.wait)
            return response
        if isinstance(exc, ContractException):
            return contract_response(
                status_code=exc.status_code,
                code=exc.code,
                flow=self.flow,
                errors=exc.errors,
                message=exc.message,
            )
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return contract_response(
                status_code=status.HTTP_401_UNAUTHORIZED,
                code="EOI001",
                flow=self.flow,
                errors=[contract.ContractError("AUTH", str(exc.detail))],
                message=str(exc.detail),
            )
        if isinstance(
            exc, exceptions.APIException
        ):  # a method not allowed, for one: still the contract's body
            return contract_response(
                status_code=exc.status_code,
                code="EOI001",
                flow=self.flow,
                errors=[contract.ContractError("EOI001", str(exc.detail))],
                message=str(exc.detail),
            )
        return super().handle_exception(exc)

    def account(self, request):
        connector = request.auth
        name = request.query_params.get("an")
        if name and name != connector.account.name:
            raise ContractException(
                status.HTTP_403_FORBIDDEN,
                "EOI001",
                [contract.ContractError("AUTH", f"This connector cannot act on account {name}.")],
                f"This connector cannot act on account {name}.",
            )
        return connector.account

    def body(self, request) -> tuple[dict, str]:
        """Read, size-check and parse the JSON body; return it with its digest."""
        content_type = request.META.get("CONTENT_TYPE", "")
        media_type_problem = json_media_type_problem(content_type)
        if media_type_problem:
            raise ContractException(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                "EOI005",
                [contract.ContractError("EOI005", media_type_problem)],
            )
        limit = settings.ORDER_BODY_MAX_BYTES
        too_large = contract.ContractError("EOI005", f"The body is over the limit of {limit} bytes")
        raw = self.raw_body(request)
        if len(raw) > limit:
            raise ContractException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "EOI005", [too_large])
        try:
            body = json_body(raw)
        except BodyInvalid as invalid:
            raise ContractException(
                status.HTTP_400_BAD_REQUEST,
                "EOI005",
                [contract.ContractError("EOI005", str(problem)) for problem in invalid.problems],
            ) from None
        problems = self.check(body, texts=may_hold_unstorable(raw))
        if problems:
            raise ContractException(status.HTTP_400_BAD_REQUEST, "EOI005", problems)
        return body, contract.body_digest(body)

    def raw_body(self, request) -> bytes:
        """The body's bytes, up to one past `ORDER_BODY_MAX_BYTES` whatever Content-Length says; read once."""
        if self._raw is None:
            self._raw = request._request.read(settings.ORDER_BODY_MAX_BYTES + 1)
        return self._raw

    def placed_before(self, request) -> bool:
        """Whether the request places an order whose marketplace order id the connector placed before.

        Asked only over the connector's rate (`ConnectorRateThrottle`): the body is parsed, not
        checked against the contract, which the view does as usual when the answer is yes.
        """
        if not self.places_orders:
            return False
        try:
            body = json_body(self.raw_body(request))
        except BodyInvalid:
            return False
        order = body[0] if isinstance(body, list) and len(body) == 1 else body
        order_id = order.get("marketplaceOrderId") if isinstance(order, dict) else None
        if not isinstance(order_id, str) or not order_id or unstorable_character(order_id):
            return False
        return connector_placed(connector=request.auth, marketplace_order_id=order_id)


class OrderIntegrationView(ConnectorAPIView):
    flow = contract.PLACE_ORDER
    check = staticmethod(contract.check_place_order)
    places_orders = True
    kick = None  # the look at the waiting batch, sent with authentication's round trip

    def redis_ahead(self) -> tuple:
        self.kick = intake_kick_ahead()  # a batch already asked for may take this order
        return () if self.kick is None else (self.kick,)

    @extend_schema(
        operation_id="EnqueueNewOrder",
        summary="Place an order",
        description="Checks the body and enqueues the order. The processing result (SOI001, or EOI002, EOI003, "
        "EOI004, EOI005, EOI007) reaches the connector as a notification at "
        "{connectorEndpoint}/order-integration/notification/processing-result?an={account}.",
        parameters=[
            ACCOUNT_PARAMETER,
            OpenApiParameter("affiliateId", OpenApiTypes.STR, description="Accepted, not required."),
        ],
        request={
            "application/json": OpenApiRequest(
                _taking_statuses("place_order", "new", "approved"), examples=examples.PLACE_ORDER_EXAMPLES
            )
        },
        responses=_responses(
            contract.PLACE_ORDER,
            contract_answer(
                "Enqueued", code="SOI003", flow=contract.PLACE_ORDER, account_name=examples.ACCOUNT
            ),
            "items[0].price must be a whole number (integer cents for money)",
        ),
        tags=["Order integration"],
    )
    def post(self, request):
        account = self.account(request)
        body, digest = self.body(request)
        intake_receive(
            connector=request.auth,
            flow=self.flow,
            body=body,
            body_digest=digest,
            kick=self.kick,
        )
        return contract_response(status_code=200, code="SOI003", flow=self.flow, account_name=account.name)


class OrderStatusView(ConnectorAPIView):
    flow = contract.APPROVE_ORDER
    check = staticmethod(contract.check_update_status)

    @extend_schema(
        operation_id="UpdateOrderStatus",
        summary="Approve an order (the marketplace approved its payment)",
        description="Enqueues the approval. The result (SOI002, EOI008 not integrated yet, EOI009 out of status, "
        "EOI011 waiting for the seller's manual authorization — remembered and applied once authorized) reaches "
        "the connector as a notification.",
        parameters=[ACCOUNT_PARAMETER],
        request={
            "application/json": OpenApiRequest(
                _taking_statuses("update_status", "approved"), examples=examples.UPDATE_STATUS_EXAMPLES
            )
        },
        responses=_responses(
            contract.APPROVE_ORDER,
            contract_answer(
                "Enqueued",
                code="SOI003",
                flow=contract.APPROVE_ORDER,
                marketplace_order_id=examples.UPDATE_STATUS["marketplaceOrderId"],
            ),
            "marketplaceOrderStatus must be approved",
        ),
        tags=["Order integration"],
    )
    def put(self, request):
        self.account(request)
        body, digest = self.body(request)
        intake_receive(connector=request.auth, flow=self.flow, body=body, body_digest=digest)
        return contract_response(
            status_code=200, code="SOI003", flow=self.flow, marketplace_order_id=body["marketplaceOrderId"]
        )
