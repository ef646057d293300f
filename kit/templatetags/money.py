"""`{% load money %}` then `{{ order.paid_value_cents|money:order.account.currency }}`: R$ 127,78; "-" for none."""

from django import template

from kit.admin_display import money_shown
from kit.money import money as money_text

register = template.Library()


@register.filter
def money(cents, currency):
    return money_shown(cents, currency)


@register.filter
def signed_money(cents, currency):
    return money_text(cents, currency, signed=True)
