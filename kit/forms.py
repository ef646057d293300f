"""Form fields for what people type as they write it: money as money, kept as integer cents.

`MoneyField` shows and reads an amount in the reader's language (`1.234,56` in Portuguese,
`1,234.56` in English; both readings of a point are taken, see `kit.money.cents_parse`), with
the currency's symbol beside the input when the form knows it (`field.currency = "BRL"`).
"""

from babel.numbers import get_currency_symbol
from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .fields import MAX_CENTS
from .money import amount, cents_parse, money, reader_locale


class MoneyInput(forms.TextInput):
    """A text input for an amount, with the currency's symbol before it when one is set."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "size": "12", **(attrs or {})})
        self.currency = ""

    def render(self, name, value, attrs=None, renderer=None):
        field = super().render(name, value, attrs, renderer)
        if not self.currency:
            return field
        symbol = get_currency_symbol(self.currency, locale=reader_locale())
        return format_html(
            '<span class="oa-money-input"><span class="oa-currency">{}</span> {}</span>', symbol, field
        )


class MoneyField(forms.Field):
    """An amount of money typed as people write it; its value is integer cents (`29,90` → 2990)."""

    widget = MoneyInput
    default_error_messages = {
        "invalid": _("Enter an amount of money, such as %(example)s."),
        "min_value": _("Enter %(limit)s or more."),
        "max_value": _("Enter %(limit)s or less."),
    }

    def __init__(
        self, *, currency: str = "", min_cents: int | None = 0, max_cents: int = MAX_CENTS, **kwargs
    ):
        super().__init__(**kwargs)
        self.min_cents, self.max_cents = min_cents, max_cents
        self.currency = currency

    @property
    def currency(self) -> str:
        return self._currency

    @currency.setter
    def currency(self, value: str) -> None:
        """The ISO 4217 code the amount is in, shown beside the input and in the errors ("" for none)."""
        self._currency = value or ""
        self.widget.currency = self._currency

    def prepare_value(self, value):
        # Cents from the instance are shown as an amount; what the person typed is shown back as typed.
        return amount(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return cents_parse(value)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"example": amount(123456)}
            ) from None

    def run_validators(self, value):
        if value in self.empty_values:
            return
        if self.min_cents is not None and value < self.min_cents:
            raise forms.ValidationError(
                self.error_messages["min_value"],
                code="min_value",
                params={"limit": self._shown(self.min_cents)},
            )
        if value > self.max_cents:
            raise forms.ValidationError(
                self.error_messages["max_value"],
                code="max_value",
                params={"limit": self._shown(self.max_cents)},
            )

    def _shown(self, cents: int) -> str:
        return money(cents, self.currency) if self.currency else amount(cents)

    def has_changed(self, initial, data):
        try:
            data = self.to_python(data)
        except forms.ValidationError:
            return True
        return initial != data
