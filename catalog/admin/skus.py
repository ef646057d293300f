"""SKUs with their price history and stock, stock rows, warehouses."""

import re

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.backends import account_roles
from accounts.selectors import accounts_where
from kit.admin_display import money_shown
from kit.admin_lists import GuardedHistory, perm_name
from kit.forms import MoneyField

from ..models import Sku, Stock, Warehouse, reserved_stock_message
from ..resources import SkuResource, StockResource
from ..selectors import skus_with_available
from .base import AccountMoneyForm, CatalogAdmin
from .csv_files import AccountImportExportMixin


class SalesChannelsField(forms.CharField):
    """Sales channel ids typed as "1;2" (commas work too), kept as a list."""

    def prepare_value(self, value):
        return ";".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [channel.strip() for channel in re.split(r"[;,]", text or "") if channel.strip()]


class SkuForm(AccountMoneyForm):
    price_cents = MoneyField(label=_("Price"), help_text=_("The price of one unit, e.g. 29.90."))
    sales_channels = SalesChannelsField(
        label=_("Sales channels"),
        required=False,
        help_text=_("Sales channels (trade policies) where the SKU is sold, e.g. 1;2."),
    )

    class Meta:
        model = Sku
        fields = ["account", "sku_id", "name", "price_cents", "active", "sales_channels"]


class StockInlineFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.account_id = self.instance.account_id
        return form

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if form.instance.pk and form.instance.reserved:
                raise ValidationError(reserved_stock_message(form.instance))


class StockInline(admin.TabularInline):
    model = Stock
    formset = StockInlineFormSet
    fields = ["warehouse", "quantity", "reserved", "available"]
    readonly_fields = ["reserved", "available"]
    extra = 0

    def _allowed(self, request, action, obj):
        perm = perm_name(self.opts, action)
        return request.user.has_perm(perm, obj) if obj is not None else request.user.has_perm(perm)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, "add", obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        warehouse = formset.form.base_fields.get("warehouse")
        if warehouse is not None:
            if obj is not None:
                warehouse.queryset = Warehouse.objects.filter(account=obj.account)
            else:
                warehouse.queryset = Warehouse.objects.filter(
                    account__in=accounts_where(request.user, perm_name(Sku._meta, "add"))
                )
        return formset

    @admin.display(description=_("available"))
    def available(self, stock):
        return stock.available if stock.pk else "-"


@admin.register(Sku)
class SkuAdmin(GuardedHistory, AccountImportExportMixin, SimpleHistoryAdmin, CatalogAdmin):
    form = SkuForm
    resource_classes = [SkuResource]
    list_display = ["sku_id", "name", "price", "active", "channels", "available_stock"]
    list_display_links = ["sku_id", "name"]
    list_filter = ["active"]
    search_fields = ["sku_id", "name"]
    search_help_text = _("Search by SKU id or name.")
    fields = ["account", "sku_id", "name", "price_cents", "active", "sales_channels"]
    fixed_fields = ("sku_id",)
    inlines = [StockInline]
    history_list_display = ["price", "active"]

    def get_queryset(self, request):
        return skus_with_available(super().get_queryset(request)).select_related("account")

    @admin.display(description=_("price"), ordering="price_cents")
    def price(self, sku):
        return money_shown(sku.price_cents, sku.account.currency)

    @admin.display(description=_("sales channels"))
    def channels(self, sku):
        return ", ".join(sku.sales_channels or []) or "-"

    @admin.display(description=_("available stock"), ordering="available_units")
    def available_stock(self, sku):
        return sku.available_units

    def history_view(self, request, object_id, extra_context=None):
        """Answer 404, as the change page does, for a SKU outside the user's accounts."""
        sku_id = unquote(object_id)
        if not sku_id.isdigit():
            raise Http404
        visible = (
            request.user.is_superuser
            or Sku.history.filter(id=int(sku_id), account_id__in=list(account_roles(request.user))).exists()
        )
        if not visible:
            raise Http404
        return super().history_view(request, object_id, extra_context)


class StockForm(forms.ModelForm):
    class Meta:
        model = Stock
        fields = ["sku", "warehouse", "quantity"]


@admin.register(Stock)
class StockAdmin(AccountImportExportMixin, CatalogAdmin):
    form = StockForm
    resource_classes = [StockResource]
    list_display = ["sku", "warehouse", "quantity", "reserved", "available"]
    list_select_related = ["sku", "warehouse", "account"]
    list_filter = [("warehouse", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["sku__sku_id", "sku__name", "warehouse__warehouse_id", "warehouse__name"]
    search_help_text = _("Search by SKU id or name, or warehouse.")
    fields = ["sku", "warehouse", "quantity", "reserved", "available"]
    readonly_fields = ["reserved", "available"]
    fixed_fields = ("sku", "warehouse")

    def has_delete_permission(self, request, obj=None):
        # Reserved units belong to orders: the row goes only once they are released.
        if obj is not None and obj.reserved:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("available"))
    def available(self, stock):
        return stock.available if stock.pk else "-"


@admin.register(Warehouse)
class WarehouseAdmin(CatalogAdmin):
    list_display = ["warehouse_id", "name"]
    search_fields = ["warehouse_id", "name"]
    fields = ["account", "warehouse_id", "name"]
    fixed_fields = ("warehouse_id",)
