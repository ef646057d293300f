"""CSV import and export of SKUs and stock, always into one account.

The importing user picks the account on the import form, among the accounts where they may
change the catalog; a file may carry an `account` column (exports do), and a row naming any
other account is refused. The import previews every row, names the bad ones by line and
column, and saves all rows or none.

SKU columns: id, name, price (cents) — integer cents, as everywhere inside; a file of before
it was so named, with a `price` column, reads the same —, active, salesChannels ("1;2"), and
currency (the account's, exported for reading). Stock columns: sku,
warehouse, quantity (units on hand; reserved and available are exported for reading). As in
the seller API, a warehouse named for the first time is created, units on hand may not go
below what orders reserved, and a column left out keeps the current values.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from kit.spreadsheets import formula_safe, formula_unquoted

from .models import Sku, Stock, Warehouse
from .rows import warehouse_id_problem
from .services import warehouses_ensure

TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}
# The price column says its unit; files written before it did name it `price`, and still import.
PRICE_COLUMN, OLD_PRICE_COLUMN = "price (cents)", "price"
NUL = "\x00"  # no database column stores it (PostgreSQL refuses it), so a row holding one is refused


def _text(value) -> str:
    return "" if value is None else str(value).strip()


class WholeNumberWidget(widgets.Widget):
    """A whole number, 0 or more; anything else is the row's error, never silently rounded."""

    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not re.fullmatch(r"\d{1,18}", text):
            raise ValueError(str(self.message))
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class ActiveWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(gettext("Write true or false."))

    def render(self, value, obj=None, **kwargs):
        return "true" if value else "false"


class SalesChannelsWidget(widgets.Widget):
    """Sales channel ids separated by semicolons: "1;2"."""

    def clean(self, value, row=None, **kwargs):
        return [channel.strip() for channel in _text(value).split(";") if channel.strip()]

    def render(self, value, obj=None, **kwargs):
        return ";".join(value or [])


class AccountRowWidget(widgets.Widget):
    """Find a row of the import's account by its id; the account is set by the resource."""

    model = None
    id_field = ""
    label = ""

    def __init__(self):
        super().__init__()
        self.account = None

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            raise ValueError(gettext("Name the %(thing)s.") % {"thing": self.label})
        found = self.model.objects.filter(account=self.account, **{self.id_field: text}).first()
        if found is None:
            raise ValueError(self.missing_message(text))
        return found

    def missing_message(self, text):
        return gettext("No %(thing)s '%(id)s' in account %(account)s.") % {
            "thing": self.label,
            "id": text,
            "account": self.account,
        }

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.id_field)


class SkuLookupWidget(AccountRowWidget):
    model = Sku
    id_field = "sku_id"
    label = _("SKU")

    def missing_message(self, text):
        return gettext("No SKU '%(id)s' in account %(account)s; import it with the SKU file first.") % {
            "id": text,
            "account": self.account,
        }


class WarehouseLookupWidget(AccountRowWidget):
    model = Warehouse
    id_field = "warehouse_id"
    label = _("warehouse")

    def missing_message(self, text):
        return warehouse_id_problem(text) or super().missing_message(text)


class AccountScopedResource(resources.ModelResource):
    """Import rows into `account` only; name errors by the file's column names."""

    account_column = fields.Field(attribute="account__name", column_name="account", readonly=True)
    lookup_widgets: tuple[str, ...] = ()
    import_help = ""

    def __init__(self, account=None, **kwargs):
        super().__init__(**kwargs)
        self.account = account
        self.lines_by_key = {}
        for name in self.lookup_widgets:
            self.fields[name].widget.account = account

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.filter(account=self.account) if self.account else queryset.none()

    def init_instance(self, row=None):
        return self._meta.model(account=self.account)

    def row_key(self, row) -> tuple:
        return tuple(_text(row.get(self.fields[name].column_name)) for name in self.get_import_id_fields())

    def before_import(self, dataset, **kwargs):
        if self.account is None:
            raise ValueError(gettext("Choose the account to import into."))

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            if isinstance(value, str) and NUL in value:
                raise ValidationError(
                    {column: gettext("Has a NUL character (a broken or binary file?); remove it.")}
                )
            if isinstance(value, str):
                row[column] = formula_unquoted(value)  # as exported
        named = _text(row.get("account"))
        if named and named != self.account.name:
            raise ValidationError(
                {
                    "account": gettext(
                        "This row is for account '%(named)s'; this import goes into '%(account)s'."
                    )
                    % {"named": named, "account": self.account.name}
                }
            )
        key = self.row_key(row)
        line = kwargs.get("row_number")
        if key in self.lines_by_key:
            raise ValidationError(
                {
                    self.fields[self.get_import_id_fields()[0]].column_name: (
                        gettext("Also on line %(line)s; each row once.") % {"line": self.lines_by_key[key]}
                    )
                }
            )
        self.lines_by_key[key] = line

    def export_field(self, field, instance, **kwargs):
        """Quote text a spreadsheet could read as a formula, as every CSV the app writes."""
        value = super().export_field(field, instance, **kwargs)
        return formula_safe(value) if isinstance(value, str) else value

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            columns = {
                field.attribute: field.column_name for field in self.fields.values() if field.attribute
            }
            raise ValidationError(
                {columns.get(name, name): messages for name, messages in error.message_dict.items()}
            ) from None


class SkuResource(AccountScopedResource):
    sku_id = fields.Field(attribute="sku_id", column_name="id")
    name = fields.Field(attribute="name", column_name="name")
    price_cents = fields.Field(
        attribute="price_cents",
        column_name=PRICE_COLUMN,
        widget=WholeNumberWidget(_("Whole cents, 0 or more, e.g. 975 for 9.75.")),
    )
    active = fields.Field(attribute="active", column_name="active", widget=ActiveWidget())
    sales_channels = fields.Field(
        attribute="sales_channels", column_name="salesChannels", widget=SalesChannelsWidget()
    )
    currency = fields.Field(attribute="account__currency", column_name="currency", readonly=True)

    import_help = _(
        "Columns: id, name, price (cents) in whole cents (975 for 9.75), active (true or false), "
        "salesChannels (e.g. 1;2). A column left out keeps the current values; an account column "
        "must name the chosen account; currency is only exported."
    )

    class Meta:
        model = Sku
        name = "SKUs"
        fields = ("sku_id", "name", "price_cents", "active", "sales_channels", "currency", "account_column")
        import_id_fields = ("sku_id",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        headers = list(dataset.headers or [])
        if OLD_PRICE_COLUMN in headers and PRICE_COLUMN not in headers:
            dataset.headers = [PRICE_COLUMN if name == OLD_PRICE_COLUMN else name for name in headers]
        super().before_import(dataset, **kwargs)


class StockResource(AccountScopedResource):
    sku = fields.Field(attribute="sku", column_name="sku", widget=SkuLookupWidget())
    warehouse = fields.Field(attribute="warehouse", column_name="warehouse", widget=WarehouseLookupWidget())
    quantity = fields.Field(
        attribute="quantity", column_name="quantity", widget=WholeNumberWidget(_("Whole units, 0 or more."))
    )
    reserved = fields.Field(attribute="reserved", column_name="reserved", readonly=True)
    available = fields.Field(attribute="available", column_name="available", readonly=True)
    lookup_widgets = ("sku", "warehouse")
    import_help = _(
        "Columns: sku, warehouse, quantity (units on hand, never below the reserved ones). A new "
        "warehouse id creates the warehouse; reserved and available are only exported."
    )

    class Meta:
        model = Stock
        name = "Stock"
        fields = ("sku", "warehouse", "quantity", "reserved", "available", "account_column")
        import_id_fields = ("sku", "warehouse")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        """Create the warehouses the file names for the first time (undone with a dry run)."""
        super().before_import(dataset, **kwargs)
        if "warehouse" in (dataset.headers or []):
            named = {_text(value) for value in dataset["warehouse"]}
            warehouses_ensure(
                account=self.account,
                warehouse_ids={
                    value for value in named if warehouse_id_problem(value) is None and NUL not in value
                },
            )

    def get_instance(self, instance_loader, row):
        """Treat an unknown SKU or warehouse as a new row, so its error is shown on its line."""
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None
