"""Shipping policies and pickup points."""

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kit.admin_display import money_shown
from kit.forms import MoneyField

from ..models import PickupPoint, ShippingPolicy, Warehouse
from ..rows import shipping_policy_target_problems
from .base import AccountMoneyForm, CatalogAdmin


class ShippingPolicyForm(AccountMoneyForm):
    freight_cents = MoneyField(
        label=_("Freight per unit"), initial=0, help_text=_("Charged for each unit shipped, e.g. 9.90.")
    )

    class Meta:
        model = ShippingPolicy
        fields = [
            "account",
            "policy_id",
            "delivery_channel",
            "freight_cents",
            "estimate",
            "active",
            "warehouses",
            "pickup_points",
        ]

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("account") or getattr(self.instance, "account", None)
        warehouses = list(cleaned.get("warehouses") or [])
        points = list(cleaned.get("pickup_points") or [])
        if account is not None:
            if any(warehouse.account_id != account.pk for warehouse in warehouses):
                self.add_error("warehouses", gettext("Choose warehouses of the policy's account only."))
            if any(point.account_id != account.pk for point in points):
                self.add_error("pickup_points", gettext("Choose pickup points of the policy's account only."))
        form_fields = {"warehouses": "warehouses", "pickupPoints": "pickup_points"}
        for field, message in shipping_policy_target_problems(
            delivery_channel=cleaned.get("delivery_channel"),
            warehouse_ids=[warehouse.warehouse_id for warehouse in warehouses],
            pickup_point_ids=[point.point_id for point in points],
        ).items():
            self.add_error(form_fields[field], message)
        return cleaned


@admin.register(ShippingPolicy)
class ShippingPolicyAdmin(CatalogAdmin):
    form = ShippingPolicyForm
    list_display = ["policy_id", "delivery_channel", "freight", "estimate", "active"]
    list_select_related = ["account"]
    list_filter = ["delivery_channel", "active"]
    search_fields = ["policy_id"]
    filter_horizontal = ["warehouses", "pickup_points"]
    fields = ShippingPolicyForm.Meta.fields
    fixed_fields = ("policy_id",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            for name, model in (("warehouses", Warehouse), ("pickup_points", PickupPoint)):
                if name in form.base_fields:
                    form.base_fields[name].queryset = model.objects.filter(account=obj.account)
        return form

    @admin.display(description=_("freight per unit"), ordering="freight_cents")
    def freight(self, policy):
        return money_shown(policy.freight_cents, policy.account.currency)


@admin.register(PickupPoint)
class PickupPointAdmin(CatalogAdmin):
    list_display = ["point_id", "name", "warehouse", "city", "state", "country"]
    list_select_related = ["warehouse", "account"]
    list_filter = ["state", "country"]
    search_fields = ["point_id", "name", "city", "postal_code", "street"]
    search_help_text = _("Search by id, name, city, postal code or street.")
    fixed_fields = ("point_id",)
    fieldsets = [
        (None, {"fields": ["account", "point_id", "name", "warehouse"]}),
        (
            _("Address"),
            {"fields": PickupPoint.ADDRESS_FIELDS},
        ),
        (_("Coordinates"), {"fields": ["latitude", "longitude"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "warehouse" in form.base_fields:
            form.base_fields["warehouse"].queryset = Warehouse.objects.filter(account=obj.account)
        return form
