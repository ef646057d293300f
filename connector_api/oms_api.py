"""The OMS API for connectors: read an order, cancel it, send its invoice (contract §4.2).

These views live with the connector API, not with the seller API in `orders/`: they answer
connector credentials (`X-VTEX-API-AppKey` + `X-VTEX-API-AppToken`), a connector reaches only
its own orders, and an order of another connector answers 404 like an unknown one. The
account comes from `?an=` or is the connector's own. Writes go through `orders.services`.
Credentials, account and the errors' shape and codes are every OMS call's: `connector_api.oms_view`.
"""

from django.utils.text import capfirst
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response

from connectors.status_changes import iso
from kit import fields
from kit.dates import DATE_FORMAT_HINT, date_or_datetime
from kit.fields import MAX_CENTS, MAX_QUANTITY
from orders.events import connector_actor
from orders.services import INVOICE_INPUT, INVOICE_OUTPUT, Receipt, order_cancel, order_invoice_record

from . import examples
from .examples import answer, request_example
from .oms_document import order_document
from .oms_schema import ORDER_SCHEMA
from .oms_view import (
    ACCOUNT_PARAMETER,
    INVALID,
    NOT_FOUND,
    WRONG_STATUS,
    OmsApiView,
    OmsError,
    errors,
    refused,
)
from .selectors import connector_order_get

RECEIPT_SCHEMA = {
    "type": "object",
    "required": ["date", "orderId", "receipt"],
    "properties": {
        "date": {"type": "string", "description": "When it was recorded."},
        "orderId": {"type": "string", "description": "The mainOrderId."},
        "receipt": {"type": "string", "description": "Protocol code of the change."},
    },
}
ORDER_ID_PARAMETER = OpenApiParameter(
    "order_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The order's mainOrderId, e.g. MKP-123456789.",
)
NOT_THIS_CONNECTORS = refused(
    "Not an order of this connector", NOT_FOUND, "Order MKP-404 not found among this connector's orders."
)


class ConnectorOrderView(OmsApiView):
    """A call about one order of the connector's, named in the URL."""

    def order(self, order_id: str):
        order = connector_order_get(connector=self.connector, order_id=order_id)
        if order is None:
            raise OmsError(404, NOT_FOUND, f"Order {order_id} not found among this connector's orders.")
        return order


def receipt_body(receipt: Receipt) -> dict:
    return {"date": iso(receipt.date), "orderId": receipt.order_id, "receipt": receipt.receipt}


class OrderApi(ConnectorOrderView):
    @extend_schema(
        operation_id="GetOrder",
        summary="Get order",
        description="The order as the connector sent it and as the seller handled it: status, items, totals, "
        "shipping, ids, invoices, and in `priceDivergence` the divergence and the decision.",
        parameters=[ORDER_ID_PARAMETER, ACCOUNT_PARAMETER],
        responses={
            200: OpenApiResponse(
                ORDER_SCHEMA,
                description="The order.",
                examples=[
                    answer(
                        "Waiting for a decision",
                        examples.HELD_ORDER,
                        "Paid 25.71 against the seller's 30.25: held for manual authorization by the band "
                        "10–20 %.",
                    )
                ],
            ),
            **errors({404: ("Not an order of this connector (OMS002).", [NOT_THIS_CONNECTORS])}),
        },
        tags=["OMS"],
    )
    def get(self, request, order_id):
        return Response(order_document(self.order(order_id)))


class CancelInput(serializers.Serializer):
    reason = fields.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OrderCancelApi(ConnectorOrderView):
    @extend_schema(
        operation_id="CancelOrder",
        summary="Cancel order",
        description="Cancels an order that is not invoiced: its stock reservation is released and the change "
        "enters the feed and hook. Canceling a canceled order again answers the same receipt. An invoiced "
        "order is refused (409, OMS003): send a return invoice (type Input) instead.",
        parameters=[ORDER_ID_PARAMETER, ACCOUNT_PARAMETER],
        request=OpenApiRequest(CancelInput, examples=[request_example("With a reason", examples.CANCEL)]),
        responses={
            200: OpenApiResponse(
                RECEIPT_SCHEMA,
                description="Canceled (now or before).",
                examples=[answer("Canceled", examples.RECEIPT)],
            ),
            **errors(
                {
                    400: (
                        "The body has errors (OMS001).",
                        [refused("A reason not text", INVALID, "reason: A string is required.")],
                    ),
                    404: ("Not an order of this connector (OMS002).", [NOT_THIS_CONNECTORS]),
                    409: (
                        "Invoiced: it cannot be canceled (OMS003).",
                        [
                            refused(
                                "Invoiced",
                                WRONG_STATUS,
                                "Order MKP-123456789 is invoiced and cannot be canceled: send a return invoice "
                                "(type Input) instead.",
                            )
                        ],
                    ),
                }
            ),
        },
        tags=["OMS"],
    )
    def post(self, request, order_id):
        order = self.order(order_id)
        data = CancelInput(data=request.data or {})
        data.is_valid(raise_exception=True)
        receipt = order_cancel(
            order=order, actor=connector_actor(self.connector), reason=data.validated_data["reason"]
        )
        return Response(receipt_body(receipt))


class InvoiceItemInput(serializers.Serializer):
    id = fields.CharField(max_length=64, help_text="The SKU id of an item of the order.")
    price = fields.IntegerField(min_value=0, max_value=MAX_CENTS, help_text="Unit price, in cents.")
    quantity = fields.IntegerField(min_value=1, max_value=MAX_QUANTITY)


def _date_text(value: str) -> str:
    """Keep a date as the connector wrote it, once it is a real one."""
    try:
        date_or_datetime(value)
    except ValueError as error:
        raise serializers.ValidationError(f"{capfirst(str(error))}.") from None
    return value


class InvoiceInput(serializers.Serializer):
    type = fields.CharField(help_text="Output (a sale) or Input (a return).")
    invoiceNumber = fields.CharField(max_length=100)
    invoiceValue = fields.CentsField(
        min_value=1, max_value=MAX_CENTS, help_text="Total invoiced, in cents (2499 for 24.99)."
    )
    issuanceDate = fields.CharField(
        max_length=64, help_text=f"Date and time the invoice was issued: {DATE_FORMAT_HINT}."
    )
    invoiceKey = fields.CharField(max_length=200, required=False, allow_null=True, allow_blank=True)
    invoiceUrl = fields.CharField(max_length=1000, required=False, allow_null=True, allow_blank=True)
    embeddedInvoice = fields.CharField(
        max_length=200_000, required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    courier = fields.CharField(max_length=200, required=False, allow_null=True, allow_blank=True)
    trackingNumber = fields.CharField(max_length=200, required=False, allow_null=True, allow_blank=True)
    trackingUrl = fields.CharField(max_length=1000, required=False, allow_null=True, allow_blank=True)
    dispatchedDate = fields.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=f"When it was dispatched: {DATE_FORMAT_HINT}.",
    )
    items = InvoiceItemInput(many=True, required=False)

    def validate_type(self, value):
        for known in (INVOICE_OUTPUT, INVOICE_INPUT):
            if value.lower() == known.lower():
                return known
        raise serializers.ValidationError("Output (a sale) or Input (a return).")

    def validate_issuanceDate(self, value):
        return _date_text(value)

    def validate_dispatchedDate(self, value):
        return _date_text(value) if value else value


class OrderInvoiceApi(ConnectorOrderView):
    @extend_schema(
        operation_id="InvoiceNotification",
        summary="Order invoice notification",
        description="An Output invoice moves the order to invoiced (starting handling first when it is "
        "ready-for-handling); the same invoice number sent again only gets a new receipt. An Input (return) "
        "invoice is recorded on an invoiced order. Other statuses are refused (409, OMS003).",
        parameters=[ORDER_ID_PARAMETER, ACCOUNT_PARAMETER],
        request=OpenApiRequest(
            InvoiceInput, examples=[request_example("Invoice of the sale", examples.INVOICE)]
        ),
        responses={
            200: OpenApiResponse(
                RECEIPT_SCHEMA,
                description="The invoice was recorded.",
                examples=[answer("Recorded", examples.RECEIPT)],
            ),
            **errors(
                {
                    400: (
                        "The body has errors (OMS001).",
                        [
                            refused(
                                "An item not in the order",
                                INVALID,
                                "items: order MKP-123456789 has no item 2.",
                            )
                        ],
                    ),
                    404: ("Not an order of this connector (OMS002).", [NOT_THIS_CONNECTORS]),
                    409: (
                        "The order's status does not take this invoice (OMS003).",
                        [
                            refused(
                                "Not handled yet",
                                WRONG_STATUS,
                                "Order MKP-123456789 is waiting-for-manual-authorization: order status should be "
                                "ready-for-handling or handling to be invoiced.",
                            )
                        ],
                    ),
                }
            ),
        },
        tags=["OMS"],
    )
    def post(self, request, order_id):
        order = self.order(order_id)
        data = InvoiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = dict(data.validated_data)
        skus = {item.sku_id for item in order.items.all()}
        unknown = [line["id"] for line in invoice.get("items", []) if line["id"] not in skus]
        if unknown:
            raise OmsError(400, INVALID, f"items: order {order_id} has no item {', '.join(unknown)}.")
        receipt = order_invoice_record(order=order, actor=connector_actor(self.connector), invoice=invoice)
        return Response(receipt_body(receipt))
