"""`{% load money %}` then `{{ order.payment_value_cents|money:account.currency }}`: cents shown as money."""

from django import template

from kit.money import money as money_text

register = template.Library()


@register.filter
def money(cents, currency):
    return money_text(cents, currency)


@register.filter
def signed_money(cents, currency):
    return money_text(cents, currency, signed=True)
