"""Output shapes of the seller order API, in the contract's camelCase; money is integer cents."""

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from authorization.decision import OnDeadline
from authorization.explanation import Explanation, Kind, describe_cause, describe_component
from authorization.models import ApprovalTask
from connectors.models import Notification

from .approvals import DEADLINE
from .models import Order, OrderEvent, OrderItem
from .selectors import order_explanations
from .statuses import OrderStatus


class DecidedBandSerializer(serializers.Serializer):
    """A band of the rule, as it was when the order was decided."""

    to = serializers.CharField(help_text="Upper end, percent with two decimals.")
    action = serializers.ChoiceField(choices=["authorize", "deny", "manual"])
    approvers = serializers.ListField(child=serializers.EmailField())
    escalateAfterMinutes = serializers.IntegerField()
    # A band stored before deadlines existed keeps waiting: these defaults say so.
    onDeadline = serializers.ChoiceField(
        choices=[choice.value for choice in OnDeadline],
        default=OnDeadline.WAIT.value,
        help_text="What happens once deadlineMinutes have passed since the hold: wait, deny (reason code "
        "expired) or approve-up-to (approved when paidValue is at most approveUpToCents).",
    )
    deadlineMinutes = serializers.IntegerField(
        allow_null=True, default=None, help_text="Minutes from the hold to the deadline; null when it waits."
    )
    approveUpToCents = serializers.IntegerField(
        allow_null=True,
        default=None,
        help_text="approve-up-to only: the most paid value it approves, in cents.",
    )

    def get_fields(self):
        # "from" is a Python keyword: declared through the field map.
        fields = super().get_fields()
        return {"from": serializers.CharField(help_text="Lower end, percent with two decimals."), **fields}


class ConnectorRefSerializer(serializers.Serializer):
    affiliateId = serializers.CharField(source="affiliate_id")
    name = serializers.CharField()
    type = serializers.CharField()


class OrderItemSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="sku_id", help_text="The SKU id the connector sent.")
    price = serializers.IntegerField(source="price_cents", help_text="Marketplace unit price, in cents.")
    sellerPrice = serializers.IntegerField(
        source="seller_price_cents", help_text="The seller's catalog unit price when priced, in cents."
    )
    freight = serializers.IntegerField(source="freight_cents", help_text="Freight the order declares.")
    sellerFreight = serializers.IntegerField(source="seller_freight_cents")
    divergencePercent = serializers.DecimalField(
        source="divergence_percent", max_digits=14, decimal_places=2, coerce_to_string=True
    )
    deliveryChannel = serializers.CharField(source="delivery_channel")
    warehouseId = serializers.SerializerMethodField()
    pickupPointId = serializers.SerializerMethodField()
    reservedQuantity = serializers.IntegerField(source="reserved_quantity")

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "name",
            "quantity",
            "price",
            "sellerPrice",
            "freight",
            "sellerFreight",
            "divergencePercent",
            "deliveryChannel",
            "sla",
            "warehouseId",
            "pickupPointId",
            "reservedQuantity",
        ]

    def get_warehouseId(self, item) -> str | None:
        return item.stock.warehouse.warehouse_id if item.stock_id else None

    def get_pickupPointId(self, item) -> str | None:
        return item.pickup_point.point_id if item.pickup_point_id else None


class ComponentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[kind.value for kind in Kind])
    cents = serializers.IntegerField(
        help_text="Its part of sellerValue − paidValue; 0 for taxes and interest, shown but not counted."
    )
    sku = serializers.CharField(required=False, help_text="The SKU, for an item's price difference.")
    label = serializers.CharField(help_text="In words, in the language the request asks for.")


class CauseSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="earlier-price, freight-policy, promotion, marketplace-discount or marketplace-surcharge."
    )
    message = serializers.CharField(help_text="In words, in the language the request asks for.")
    sku = serializers.CharField(required=False)
    until = serializers.DateTimeField(required=False, help_text="earlier-price: when that price ended.")


class DivergenceExplainedSerializer(serializers.Serializer):
    differenceCents = serializers.IntegerField(help_text="sellerValue − paidValue.")
    components = ComponentSerializer(many=True, help_text="They add up to differenceCents exactly.")
    causes = CauseSerializer(many=True, help_text="Likely causes, read from the catalog and the order.")


def explanation_data(explanation: Explanation, currency: str) -> dict:
    """The explanation as the seller API shows it, its words in the active language."""
    components = []
    for component in explanation.components:
        entry = {"kind": component.kind.value, "cents": component.cents}
        if component.sku is not None:
            entry["sku"] = component.sku
        components.append({**entry, "label": describe_component(component, currency)})
    causes = []
    for cause in explanation.causes:
        entry = {"kind": cause.kind.value, "message": describe_cause(cause, currency)}
        if cause.sku is not None:
            entry["sku"] = cause.sku
        if cause.until is not None:
            entry["until"] = serializers.DateTimeField().to_representation(cause.until)
        causes.append(entry)
    return {"differenceCents": explanation.difference_cents, "components": components, "causes": causes}


class OrderListSerializer(serializers.ListSerializer):
    """Orders of a page: their divergences explained together (one query of earlier prices)."""

    def to_representation(self, data):
        orders = list(data.all() if hasattr(data, "all") else data)
        self.child.context["explanations"] = order_explanations(orders)
        return super().to_representation(orders)


class OrderSerializer(serializers.ModelSerializer):
    mainOrderId = serializers.CharField(source="main_order_id")
    marketplaceOrderId = serializers.CharField(source="marketplace_order_id")
    franchiseOrderId = serializers.SerializerMethodField()
    connector = ConnectorRefSerializer()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    marketplaceApproved = serializers.BooleanField(source="marketplace_approved")
    paymentValue = serializers.IntegerField(
        source="payment_value_cents", help_text="marketplacePaymentValue."
    )
    interestValue = serializers.IntegerField(source="interest_cents")
    taxValue = serializers.IntegerField(source="tax_cents")
    marketplaceFreightValue = serializers.IntegerField(
        source="marketplace_freight_cents", help_text="Freight of the marketplace's own delivery (isFob)."
    )
    paidValue = serializers.IntegerField(
        source="paid_value_cents", help_text="What the marketplace pays for what the seller prices."
    )
    sellerValue = serializers.IntegerField(
        source="seller_value_cents", help_text="What the seller expects, at catalog prices."
    )
    divergencePercent = serializers.DecimalField(
        source="divergence_percent",
        max_digits=14,
        decimal_places=2,
        coerce_to_string=True,
        help_text="(seller − paid) / seller × 100; positive when the marketplace pays less.",
    )
    outcome = serializers.CharField(help_text="no-divergence, authorize, manual or deny.")
    decisionReason = serializers.CharField(source="route_and_reason", help_text="route:reason.")
    band = DecidedBandSerializer(allow_null=True, help_text="The band that decided, as it was.")
    currency = serializers.CharField(source="account.currency", help_text="ISO 4217: the account's currency.")
    divergenceExplained = serializers.SerializerMethodField(
        help_text="sellerValue − paidValue broken into components that add up to it, and likely causes."
    )
    customerEmail = serializers.CharField(source="customer_email")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    items = OrderItemSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "mainOrderId",
            "marketplaceOrderId",
            "franchiseOrderId",
            "connector",
            "status",
            "marketplaceApproved",
            "paymentValue",
            "interestValue",
            "taxValue",
            "marketplaceFreightValue",
            "paidValue",
            "sellerValue",
            "divergencePercent",
            "outcome",
            "decisionReason",
            "band",
            "currency",
            "divergenceExplained",
            "customerEmail",
            "createdAt",
            "updatedAt",
            "items",
        ]

        list_serializer_class = OrderListSerializer

    def get_franchiseOrderId(self, order) -> str | None:
        return order.franchise_order_id or None

    @extend_schema_field(DivergenceExplainedSerializer)
    def get_divergenceExplained(self, order) -> dict:
        explanations = self.context.get("explanations") or order_explanations([order])
        return explanation_data(explanations[order.pk], order.account.currency)


class OrderEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=OrderEvent.Kind.choices)
    actor = serializers.CharField(source="actor_label", help_text="The user, connector or system that acted.")
    fromStatus = serializers.SerializerMethodField()
    toStatus = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = OrderEvent
        fields = ["createdAt", "kind", "actor", "fromStatus", "toStatus", "note"]

    def get_fromStatus(self, event) -> str | None:
        return event.from_status or None

    def get_toStatus(self, event) -> str | None:
        return event.to_status or None


class OrderNotificationSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=Notification.State.choices)
    attempts = serializers.IntegerField(source="attempt_count")
    lastStatus = serializers.IntegerField(
        source="last_status", allow_null=True, help_text="Last HTTP status."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    deliveredAt = serializers.DateTimeField(source="delivered_at", allow_null=True)

    class Meta:
        model = Notification
        fields = ["code", "flow", "state", "attempts", "lastStatus", "createdAt", "deliveredAt"]


class ManualDecisionSerializer(serializers.Serializer):
    """The decision of an order held for manual authorization: none yet, or who took it, when, and
    on whose behalf when they took the turn of an approver who was away."""

    decision = serializers.ChoiceField(
        choices=ApprovalTask.Decision.choices, allow_null=True, help_text="null while the order waits."
    )
    decidedBy = serializers.CharField(
        allow_null=True, help_text='The e-mail of who decided, or "deadline" for the band\'s deadline.'
    )
    decidedAt = serializers.DateTimeField(allow_null=True)
    onBehalfOf = serializers.EmailField(
        allow_null=True,
        help_text="The approver away whose turn the decider took; null when they decided in their own right.",
    )


class OrderDetailSerializer(OrderSerializer):
    ruleSnapshot = serializers.SerializerMethodField(help_text="Every band of the rule, as it was.")
    manualDecision = serializers.SerializerMethodField(
        help_text="null for an order never held for manual authorization."
    )
    events = OrderEventSerializer(many=True)
    notifications = OrderNotificationSerializer(many=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "ruleSnapshot", "manualDecision", "events", "notifications"]

    @extend_schema_field(ManualDecisionSerializer(allow_null=True))
    def get_manualDecision(self, order) -> dict | None:
        try:
            task = order.approval_task
        except ObjectDoesNotExist:
            return None
        return {
            "decision": task.decision or None,
            "decidedBy": task.decided_by.email
            if task.decision and task.decided_by
            else (DEADLINE if task.decided_by_deadline else None),
            "decidedAt": serializers.DateTimeField().to_representation(task.decided_at)
            if task.decided_at
            else None,
            "onBehalfOf": task.on_behalf_of or None,
        }

    @extend_schema_field(DecidedBandSerializer(many=True))
    def get_ruleSnapshot(self, order):
        return DecidedBandSerializer(order.rule_snapshot or [], many=True).data
