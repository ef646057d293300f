"""The catalog in the admin: SKUs and their price history, stock, warehouses, shipping, pickup points.

Every screen shows only the user's accounts (`AccountScopedAdmin`); Owner and OMS Full change,
everyone else reads. SKUs and stock import from CSV (preview first, every bad row named, all
rows or none, into an account the user may change) and export to CSV for every reader.
Ids and accounts are fixed once a row exists: they are how the seller's systems name it.
"""

import re
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ExportForm, ImportForm
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_base import AccountScopedAdmin
from accounts.backends import account_roles
from accounts.models import Account
from accounts.selectors import accounts_for
from kit.admin_lists import GuardedHistory, list_refused, perm_name

from .imports import OwnedImportMixin
from .models import PickupPoint, ShippingPolicy, Sku, Stock, Warehouse, reserved_stock_message
from .resources import SkuResource, StockResource
from .rows import shipping_policy_target_problems
from .selectors import reserved_stock_among, skus_with_available


def cents_display(cents: int | None) -> str:
    """Show integer cents as money: 97550 → "975.50"."""
    if cents is None:
        return "-"
    return f"{Decimal(cents).scaleb(-2):,.2f}"


def accounts_where(user, perm: str):
    """Return the user's accounts in which they hold `perm`."""
    accounts = accounts_for(user=user)
    if user.is_superuser:
        return accounts
    return accounts.filter(pk__in=[account.pk for account in accounts if user.has_perm(perm, account)])


class CatalogAdmin(AccountScopedAdmin):
    """Account-scoped admin whose related choices come from accounts the user may change."""

    fixed_fields: tuple[str, ...] = ()  # read-only once the row exists, besides the account

    def changeable_account_ids(self, request) -> list[int]:
        return list(accounts_where(request.user, perm_name(self.opts, "change")).values_list("pk", flat=True))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is not Account and hasattr(db_field.related_model, "account_id"):
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                account__in=self.changeable_account_ids(request)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if hasattr(db_field.related_model, "account_id"):
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                account__in=self.changeable_account_ids(request)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["account", *self.fixed_fields]
        return readonly

    def several_accounts(self, request) -> bool:
        return request.user.is_superuser or len(account_roles(request.user)) > 1

    def get_deleted_objects(self, objs, request):
        """Name the stock rows holding reserved units as what stops a delete (they are kept, see
        `keep_reserved_stock`), rather than a missing permission to delete stock."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        held = reserved_stock_among(objs)
        if held:
            may_delete_stock = all(
                request.user.has_perm(perm_name(Stock._meta, "delete"), stock) for stock in held
            )
            if may_delete_stock:
                perms_needed.discard(Stock._meta.verbose_name)
            protected = [*protected, *(reserved_stock_message(stock) for stock in held)]
        return deleted, counts, perms_needed, protected

    def get_list_filter(self, request):
        # Offer only the accounts (and related rows) the user sees, never every account's name.
        filters = list(admin.ModelAdmin.get_list_filter(self, request))
        if self.several_accounts(request):
            filters.insert(0, (self.account_path, admin.RelatedOnlyFieldListFilter))
        return filters

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.several_accounts(request):
            columns.append(self.account_path)
        return columns


# CSV import and export


class AccountImportForm(ImportForm):
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(), help_text="Every row of the file goes into this account."
    )
    field_order = ["account", "resource", "import_file", "format"]


class AccountImportExportMixin(OwnedImportMixin, ImportExportMixin):
    """CSV import into one account the user may change; CSV export for whoever may view."""

    formats = [CSV]
    import_form_class = AccountImportForm
    export_form_class = ExportForm

    def import_accounts(self, request):
        return accounts_where(request.user, perm_name(self.opts, "change"))

    def has_import_permission(self, request):
        return self.import_accounts(request).exists()

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def export_action(self, request):
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            return list_refused(self)

    def create_import_form(self, request):
        form = super().create_import_form(request)
        accounts = self.import_accounts(request)
        form.fields["account"].queryset = accounts
        form.fields["import_file"].help_text = self.get_import_resource_classes(request)[0].import_help
        if len(accounts) == 1:
            form.fields["account"].initial = accounts[0].pk
        return form

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.fields["account"].queryset = self.import_accounts(request)
        return form

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        account = getattr(form, "cleaned_data", {}).get("account") if form is not None else None
        return {"account": account}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}

    def get_import_data_kwargs(self, **kwargs):
        kwargs.pop("form", None)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        """Say so when rows that passed the preview fail on confirmation (nothing was saved)."""
        if result.has_errors() or result.has_validation_errors():
            lines = sorted(
                {line for line, _ in result.row_errors()} | {row.number for row in result.invalid_rows}
            )
            messages.error(
                request,
                "Nothing was imported: the file no longer passes the checks"
                + (f" (lines {', '.join(map(str, lines))})" if lines else "")
                + ". Upload it again to see why.",
            )
            return HttpResponseRedirect(self.import_url())
        return super().process_result(result, request)


# SKUs and stock


class SalesChannelsField(forms.CharField):
    """Sales channel ids typed as "1;2" (commas work too), kept as a list."""

    def prepare_value(self, value):
        return ";".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [channel.strip() for channel in re.split(r"[;,]", text or "") if channel.strip()]


class SkuForm(forms.ModelForm):
    sales_channels = SalesChannelsField(
        required=False, help_text="Sales channels (trade policies) where the SKU is sold, e.g. 1;2."
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

    @admin.display(description="available")
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
    search_help_text = "Search by SKU id or name."
    fields = ["account", "sku_id", "name", "price_cents", "active", "sales_channels"]
    fixed_fields = ("sku_id",)
    inlines = [StockInline]
    history_list_display = ["price", "active"]

    def get_queryset(self, request):
        return skus_with_available(super().get_queryset(request)).select_related("account")

    @admin.display(description="price", ordering="price_cents")
    def price(self, sku):
        return cents_display(sku.price_cents)

    @admin.display(description="sales channels")
    def channels(self, sku):
        return ", ".join(sku.sales_channels or []) or "-"

    @admin.display(description="available stock", ordering="available_units")
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
    search_help_text = "Search by SKU id or name, or warehouse."
    fields = ["sku", "warehouse", "quantity", "reserved", "available"]
    readonly_fields = ["reserved", "available"]
    fixed_fields = ("sku", "warehouse")

    def has_delete_permission(self, request, obj=None):
        # Reserved units belong to orders: the row goes only once they are released.
        if obj is not None and obj.reserved:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="available")
    def available(self, stock):
        return stock.available if stock.pk else "-"


@admin.register(Warehouse)
class WarehouseAdmin(CatalogAdmin):
    list_display = ["warehouse_id", "name"]
    search_fields = ["warehouse_id", "name"]
    fields = ["account", "warehouse_id", "name"]
    fixed_fields = ("warehouse_id",)


# Shipping policies and pickup points


class ShippingPolicyForm(forms.ModelForm):
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
                self.add_error("warehouses", "Choose warehouses of the policy's account only.")
            if any(point.account_id != account.pk for point in points):
                self.add_error("pickup_points", "Choose pickup points of the policy's account only.")
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
    list_filter = ["delivery_channel", "active"]
    search_fields = ["policy_id"]
    filter_horizontal = ["warehouses", "pickup_points"]
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
    fixed_fields = ("policy_id",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            for name, model in (("warehouses", Warehouse), ("pickup_points", PickupPoint)):
                if name in form.base_fields:
                    form.base_fields[name].queryset = model.objects.filter(account=obj.account)
        return form

    @admin.display(description="freight per unit", ordering="freight_cents")
    def freight(self, policy):
        return cents_display(policy.freight_cents)


@admin.register(PickupPoint)
class PickupPointAdmin(CatalogAdmin):
    list_display = ["point_id", "name", "warehouse", "city", "state", "country"]
    list_select_related = ["warehouse", "account"]
    list_filter = ["state", "country"]
    search_fields = ["point_id", "name", "city", "postal_code", "street"]
    search_help_text = "Search by id, name, city, postal code or street."
    fixed_fields = ("point_id",)
    fieldsets = [
        (None, {"fields": ["account", "point_id", "name", "warehouse"]}),
        (
            "Address",
            {
                "fields": [
                    "postal_code",
                    "street",
                    "number",
                    "neighborhood",
                    "complement",
                    "city",
                    "state",
                    "country",
                ]
            },
        ),
        ("Coordinates", {"fields": ["latitude", "longitude"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "warehouse" in form.base_fields:
            form.base_fields["warehouse"].queryset = Warehouse.objects.filter(account=obj.account)
        return form
