"""Shapes of the seller catalog API: one input serializer per row, and what GET answers.

A GET answers the very shape a PUT accepts, so a seller can read, edit and send back.
"""

from rest_framework import serializers

from kit import fields
from kit.fields import MAX_CENTS

from .models import DeliveryChannel, catalog_id
from .rows import MAX_QUANTITY, PickupPointRow, ShippingPolicyRow, SkuRow, warehouse_id_problem

ID_FIELD = {"max_length": 64, "validators": [catalog_id]}


class StockField(serializers.DictField):
    """Units on hand per warehouse id: `{"WH1": 10}`; read from a SKU's stock rows."""

    def __init__(self, **kwargs):
        super().__init__(child=fields.IntegerField(min_value=0, max_value=MAX_QUANTITY), **kwargs)

    def to_internal_value(self, data):
        key_errors = {}
        if isinstance(data, dict):
            key_errors = {key: [message] for key in data if (message := warehouse_id_problem(key))}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            raise serializers.ValidationError({**error.detail, **key_errors}) from None
        if key_errors:
            raise serializers.ValidationError(key_errors)
        return value

    def to_representation(self, stock_rows):
        return {row.warehouse.warehouse_id: row.quantity for row in stock_rows.all()}


class SkuInputSerializer(serializers.Serializer):
    id = fields.CharField(**ID_FIELD)
    name = fields.CharField(max_length=200, required=False, help_text="Required for a new SKU.")
    price = fields.IntegerField(
        min_value=0,
        max_value=MAX_CENTS,
        required=False,
        help_text="Unit price in cents; required for a new SKU.",
    )
    active = fields.BooleanField(required=False, help_text="True when left out of a new SKU.")
    salesChannels = serializers.ListField(
        child=fields.CharField(max_length=32),
        required=False,
        help_text="Sales channels (trade policies) where the SKU is sold.",
    )
    stock = StockField(
        required=False,
        help_text="Units on hand per warehouse id; unknown warehouses are created, unnamed ones keep theirs.",
    )

    def to_row(self) -> SkuRow:
        data = self.validated_data
        channels = data.get("salesChannels")
        return SkuRow(
            sku_id=data["id"],
            name=data.get("name"),
            price_cents=data.get("price"),
            active=data.get("active"),
            sales_channels=tuple(channels) if channels is not None else None,
            stock=data.get("stock"),
        )


class SkuOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="sku_id")
    name = serializers.CharField()
    price = serializers.IntegerField(source="price_cents", help_text="Unit price in cents.")
    active = serializers.BooleanField()
    salesChannels = serializers.ListField(child=serializers.CharField(), source="sales_channels")
    stock = StockField(help_text="Units on hand per warehouse id.")


class AddressSerializer(serializers.Serializer):
    postalCode = fields.CharField(max_length=32, required=False, allow_blank=True, default="")
    street = fields.CharField(max_length=200, required=False, allow_blank=True, default="")
    number = fields.CharField(max_length=32, required=False, allow_blank=True, default="")
    neighborhood = fields.CharField(max_length=200, required=False, allow_blank=True, default="")
    complement = fields.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = fields.CharField(max_length=200, required=False, allow_blank=True, default="")
    state = fields.CharField(max_length=32, required=False, allow_blank=True, default="")
    country = serializers.RegexField(
        r"^[A-Z]{3}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "A three-letter country code, e.g. BRA."},
    )


class GeoCoordinatesSerializer(serializers.Serializer):
    latitude = fields.FloatField(min_value=-90, max_value=90)
    longitude = fields.FloatField(min_value=-180, max_value=180)


class PickupPointInputSerializer(serializers.Serializer):
    id = fields.CharField(**ID_FIELD)
    name = fields.CharField(max_length=200)
    warehouse = fields.CharField(
        **ID_FIELD, help_text="Id of the warehouse that serves the point; created when unknown."
    )
    address = AddressSerializer(required=False)
    geoCoordinates = GeoCoordinatesSerializer()

    def to_row(self) -> PickupPointRow:
        data = self.validated_data
        address = data.get("address") or {}
        return PickupPointRow(
            point_id=data["id"],
            name=data["name"],
            warehouse_id=data["warehouse"],
            latitude=data["geoCoordinates"]["latitude"],
            longitude=data["geoCoordinates"]["longitude"],
            postal_code=address.get("postalCode", ""),
            street=address.get("street", ""),
            number=address.get("number", ""),
            neighborhood=address.get("neighborhood", ""),
            complement=address.get("complement", ""),
            city=address.get("city", ""),
            state=address.get("state", ""),
            country=address.get("country", ""),
        )


class AddressOutputSerializer(serializers.Serializer):
    postalCode = serializers.CharField(source="postal_code")
    street = serializers.CharField()
    number = serializers.CharField()
    neighborhood = serializers.CharField()
    complement = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    country = serializers.CharField()


class PickupPointOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="point_id")
    name = serializers.CharField()
    warehouse = serializers.CharField(source="warehouse.warehouse_id")
    address = AddressOutputSerializer(source="*")
    geoCoordinates = GeoCoordinatesSerializer(source="*")


class ShippingPolicyInputSerializer(serializers.Serializer):
    id = fields.CharField(**ID_FIELD)
    deliveryChannel = serializers.ChoiceField(choices=DeliveryChannel.values)
    freight = fields.IntegerField(
        min_value=0, max_value=MAX_CENTS, help_text="Seller freight per unit, in cents."
    )
    estimate = serializers.RegexField(
        r"^\d+(d|bd|h|m)$",
        max_length=16,
        help_text="Delivery estimate: a number then d, bd, h or m, e.g. 3bd.",
        error_messages={"invalid": "A number then d, bd, h or m, e.g. 3bd."},
    )
    active = fields.BooleanField(required=False, default=True)
    warehouses = serializers.ListField(
        child=fields.CharField(**ID_FIELD),
        required=False,
        default=list,
        help_text="Warehouses it ships from (delivery); unknown ones are created.",
    )
    pickupPoints = serializers.ListField(
        child=fields.CharField(**ID_FIELD),
        required=False,
        default=list,
        help_text="Pickup points it serves (pickup-in-point); each must exist.",
    )

    def to_row(self) -> ShippingPolicyRow:
        data = self.validated_data
        return ShippingPolicyRow(
            policy_id=data["id"],
            delivery_channel=data["deliveryChannel"],
            freight_cents=data["freight"],
            estimate=data["estimate"],
            warehouse_ids=tuple(data["warehouses"]),
            pickup_point_ids=tuple(data["pickupPoints"]),
            active=data["active"],
        )


class ShippingPolicyOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="policy_id")
    deliveryChannel = serializers.CharField(source="delivery_channel")
    freight = serializers.IntegerField(source="freight_cents", help_text="Seller freight per unit, in cents.")
    estimate = serializers.CharField()
    active = serializers.BooleanField()
    warehouses = serializers.SerializerMethodField()
    pickupPoints = serializers.SerializerMethodField()

    def get_warehouses(self, policy) -> list[str]:
        return sorted(warehouse.warehouse_id for warehouse in policy.warehouses.all())

    def get_pickupPoints(self, policy) -> list[str]:
        return sorted(point.point_id for point in policy.pickup_points.all())
