"""Template filters of the order screens: money from cents, signed percentages, status badges."""

from django import template

from kit import admin_display

register = template.Library()


@register.filter
def money(cents):
    return admin_display.money(cents)


@register.filter
def signed_percent(value):
    return admin_display.signed_percent(value)


@register.simple_tag
def badge(value, label=None):
    return admin_display.badge(value, label or value)
