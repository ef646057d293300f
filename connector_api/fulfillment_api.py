"""The previous fulfillment protocol over HTTP: simulation, place fulfillment order, authorize dispatch.

Thin views over `connector_api.fulfillment_place` and `connector_api.fulfillment_simulation`.
Connectors authenticate as on the order API; every refusal answers in the Fulfillment style
(`fulfillment_body.error_body`): 400 is a business error the connector logs and stops on, 500 a
failure it retries (the previous protocol's rule).
"""

import logging

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
)
from rest_framework import exceptions, status
from rest_framework.response import Response

from connectors import contract
from connectors.contract import ContractError
from kit.api import ServiceUnavailable, api_exception

from . import fulfillment_examples
from .api import ACCOUNT_PARAMETER, ConnectorAPIView, ContractException
from .examples import answer
from .fulfillment_body import FulfillmentError, check_place_fulfillment_order, error_body, single_order
from .fulfillment_place import fulfillment_order_authorize_dispatch, fulfillment_order_place
from .fulfillment_schema import (
    AFFILIATE_PARAMETER,
    DISPATCH_RESPONSE,
    DIVERGENCE,
    DIVERGENCE_ERROR,
    DIVERGENCE_RULE,
    DUPLICATE,
    MALFORMED,
    OTHER_AFFILIATE,
    PLACED_RESPONSE,
    SALES_CHANNEL_PARAMETER,
    SIMULATION_RESPONSE,
    WAITING,
    refusals,
    refused,
    request_body,
)
from .fulfillment_simulation import fulfillment_simulate

logger = logging.getLogger(__name__)


def _check(name: str):
    def check(body, *, texts: bool = True) -> list[contract.ContractError]:
        if isinstance(body, list) and len(body) != 1:
            return [contract.ContractError("EOI005", "body must be an object, or an array of one")]
        return contract.shape_errors(name, single_order(body), texts=texts)

    return check


def error_response(error: FulfillmentError) -> Response:
    body = error_body(code=error.code, message=error.message, errors=error.contract_errors)
    return Response(body, status=error.status)


class FulfillmentAPIView(ConnectorAPIView):
    """A connector's call in the previous protocol."""

    def handle_exception(self, exc):
        exc = api_exception(exc)
        if isinstance(exc, ServiceUnavailable):
            response = error_response(FulfillmentError(exc.status_code, "EOI006", str(exc.detail)))
            response["Retry-After"] = str(exc.wait)
            return response
        if isinstance(exc, exceptions.Throttled):
            detail = str(exc.detail)
            too_many = ContractError(contract.RATE_LIMITED, detail)
            response = error_response(FulfillmentError(exc.status_code, "EOI001", detail, [too_many]))
            response["Retry-After"] = str(exc.wait)
            return response
        if isinstance(exc, FulfillmentError):
            return error_response(exc)
        if isinstance(exc, ContractException):
            message = exc.message or (exc.errors[0].description if exc.errors else str(exc.detail))
            return error_response(FulfillmentError(exc.status_code, exc.code, message, exc.errors))
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return error_response(FulfillmentError(status.HTTP_401_UNAUTHORIZED, "EOI001", str(exc.detail)))
        if isinstance(exc, exceptions.APIException):
            return error_response(FulfillmentError(exc.status_code, "EOI001", str(exc.detail)))
        logger.exception("The fulfillment request failed; the connector is told to retry.")
        return error_response(
            FulfillmentError(status.HTTP_500_INTERNAL_SERVER_ERROR, "EOI006", contract.MESSAGES["EOI006"])
        )

    def check_affiliate(self, request, *, required: bool) -> None:
        affiliate_id = request.query_params.get("affiliateId")
        if (affiliate_id or required) and affiliate_id != request.auth.affiliate_id:
            raise FulfillmentError(status.HTTP_400_BAD_REQUEST, "FMT0021", "Invalid affiliate id")

    def sells_in_channel(self, request) -> bool:
        """Whether `sc` is the connector's sales channel (or left out): the only one it sells in."""
        return request.query_params.get("sc") in (None, "", request.auth.sales_channel)


class FulfillmentSimulationView(FulfillmentAPIView):
    check = staticmethod(_check("fulfillment_simulation"))

    @extend_schema(
        operation_id="fulfillment-simulation-external-marketplace",
        summary="Fulfillment simulation",
        description="For each item: the seller's price, its availability and the SLAs that can deliver it "
        "(freight × quantity). An item unknown to the catalog is left out, with an ORD027 message.",
        parameters=[
            ACCOUNT_PARAMETER,
            OpenApiParameter("affiliateId", OpenApiTypes.STR, description="The connector's affiliate id."),
            SALES_CHANNEL_PARAMETER,
        ],
        request=request_body(
            "fulfillment_simulation", "One item to a postal code", fulfillment_examples.SIMULATION
        ),
        responses={
            200: OpenApiResponse(
                SIMULATION_RESPONSE,
                description="The simulation.",
                examples=[
                    answer("Available", fulfillment_examples.SIMULATED),
                    answer("Unknown to the catalog", fulfillment_examples.SIMULATED_UNKNOWN),
                ],
            )
        }
        | refusals(
            {
                400: (
                    "A malformed body (EOI005), or another affiliate id (FMT0021).",
                    [MALFORMED, OTHER_AFFILIATE],
                )
            }
        ),
        tags=["Fulfillment (previous protocol)"],
    )
    def post(self, request):
        account = self.account(request)
        self.check_affiliate(request, required=False)
        body, _ = self.body(request)
        sales_channel = request.auth.sales_channel if self.sells_in_channel(request) else None
        return Response(
            fulfillment_simulate(account=account, sales_channel=sales_channel, request=single_order(body))
        )


class FulfillmentOrdersView(FulfillmentAPIView):
    check = staticmethod(check_place_fulfillment_order)
    places_orders = True

    @extend_schema(
        operation_id="PlaceFulfillmentOrder",
        summary="Place fulfillment order",
        description="With isCreatedAsync the order is enqueued as on the order API: the rule decides, and the "
        "connector is notified. Without it the order is decided now and any price divergence is refused "
        "(FMT007 'Payment total (paid) differs from store desired value (seller value)', in cents). Stock, "
        "SLA and pickup point problems answer ORD027 with each item's FMT005/FMT010 in errors; a duplicate "
        "FMT009.",
        parameters=[ACCOUNT_PARAMETER, AFFILIATE_PARAMETER, SALES_CHANNEL_PARAMETER],
        request=request_body(
            "place_fulfillment_order", "Order of the guide", [fulfillment_examples.FULFILLMENT_ORDER]
        ),
        responses={
            200: OpenApiResponse(
                PLACED_RESPONSE,
                description="The order, created or enqueued.",
                examples=[answer("Placed", fulfillment_examples.PLACED_FULFILLMENT_ORDER)],
            )
        }
        | refusals(
            {
                400: (
                    "A business error, to log and not retry: a malformed body (EOI005), another affiliate "
                    "id (FMT0021), a divergence (FMT007), stock or SLA (ORD027), a duplicate (FMT009).",
                    [
                        MALFORMED,
                        OTHER_AFFILIATE,
                        refused(
                            "A price divergence", "FMT007", DIVERGENCE, DIVERGENCE_ERROR, DIVERGENCE_RULE
                        ),
                        refused(
                            "Out of stock",
                            "ORD027",
                            "Item 1(1) is not available",
                            ContractError(
                                "FMT005", "Item 1(1) is not available", contract.SOURCE_FULFILLMENT
                            ),
                        ),
                        refused(
                            "Already placed",
                            "FMT009",
                            DUPLICATE,
                            ContractError("FMT009", DUPLICATE, contract.SOURCE_FULFILLMENT),
                        ),
                    ],
                )
            }
        ),
        tags=["Fulfillment (previous protocol)"],
    )
    def post(self, request):
        self.account(request)
        self.check_affiliate(request, required=True)
        body, _ = self.body(request)
        order = single_order(body)
        if not self.sells_in_channel(request):
            sales_channel = request.query_params["sc"]
            raise FulfillmentError(
                status.HTTP_400_BAD_REQUEST,
                "ORD027",
                f"This connector does not sell in sales channel {sales_channel}",
                [
                    contract.ContractError(
                        "FMT005",
                        f"Item {item['id']}({position}) is not available in sales channel {sales_channel}",
                        contract.SOURCE_FULFILLMENT,
                    )
                    for position, item in enumerate(order["items"], start=1)
                ],
            )
        order_id = fulfillment_order_place(connector=request.auth, order=order)
        return Response(
            [
                {
                    "marketplaceOrderId": order["marketplaceOrderId"],
                    "orderId": order_id,
                    "followUpEmail": None,
                    "items": order["items"],
                    "shippingData": order["shippingData"],
                    "paymentData": None,
                }
            ]
        )


class AuthorizeDispatchView(FulfillmentAPIView):
    check = staticmethod(_check("authorize_dispatch"))

    @extend_schema(
        operation_id="AuthorizeDispatchForFulfillmentOrder",
        summary="Authorize dispatch for fulfillment order",
        description="The marketplace's approval, as PUT /api/order-integration/orders/status, answered at once. "
        "While the order waits for the seller's manual authorization the request is remembered and applied "
        "when the seller approves (409, EOI011).",
        parameters=[
            ACCOUNT_PARAMETER,
            AFFILIATE_PARAMETER,
            OpenApiParameter(
                "order_id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The orderId, {affiliateId}-{marketplaceOrderId}: e.g. MKP-123.",
            ),
        ],
        request=request_body(
            "authorize_dispatch", "Authorize an order", fulfillment_examples.AUTHORIZE_DISPATCH
        ),
        responses={
            200: OpenApiResponse(
                DISPATCH_RESPONSE,
                description="Dispatch authorized.",
                examples=[answer("Authorized", fulfillment_examples.AUTHORIZE_DISPATCH[0])],
            )
        }
        | refusals(
            {
                400: (
                    "The order is canceled (EOI009), another affiliate id (FMT0021), a malformed body.",
                    [
                        refused(
                            "Canceled", "EOI009", "Order MKP-2630580124 is canceled and cannot be approved"
                        ),
                        OTHER_AFFILIATE,
                        MALFORMED,
                    ],
                ),
                404: (
                    "No such order of this connector (EOI008).",
                    [refused("Not integrated", "EOI008", "Order MKP-2630580124 is not integrated")],
                ),
                409: (
                    "Waiting for the seller's manual authorization: remembered (EOI011).",
                    [refused("Remembered", "EOI011", WAITING)],
                ),
            }
        ),
        tags=["Fulfillment (previous protocol)"],
    )
    def post(self, request, order_id: str):
        self.account(request)
        self.check_affiliate(request, required=True)
        body, _ = self.body(request)
        marketplace_order_id = fulfillment_order_authorize_dispatch(
            connector=request.auth,
            order_id=order_id,
            marketplace_order_id=single_order(body).get("marketplaceOrderId"),
        )
        return Response({"marketplaceOrderId": marketplace_order_id})
