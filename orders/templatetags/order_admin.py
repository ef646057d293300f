"""Template filters of the order screens: signed percentages,
status badges, contract codes with their meaning, times in the reader's format."""

from django import template
from django.utils import formats

from connectors import codes
from connectors.codes import flow_name
from kit import admin_display

from ..admin import display

register = template.Library()


@register.filter
def signed_percent(value):
    return admin_display.signed_percent(value)


@register.filter
def moment(value):
    return display.short_moment(value)


@register.filter
def code_text(code):
    return codes.code_text(code)


@register.simple_tag
def badge(value, label=None):
    return admin_display.badge(value, label or value)


@register.simple_tag
def count_label(cl):
    """The lookahead paginator's count in the reader's language: "3 pedidos", "Mais de 50 pedidos"."""
    paginator = cl.paginator
    one, many, more = getattr(cl.model_admin, "count_words", (None, None, None))
    if one is None:
        return paginator.count_label
    if paginator.has_more:
        shown = paginator.bottom + paginator.per_page
        return more % {"count": formats.number_format(shown, force_grouping=True)}
    text = one if paginator.count == 1 else many
    return text % {"count": formats.number_format(paginator.count, force_grouping=True)}


@register.filter
def status_words(status):
    return display.status_words(status)


@register.filter
def flow_words(flow):
    return flow_name(flow)


@register.filter
def delivery_channel(channel):
    return display.delivery_channel_words(channel)


@register.filter
def notified_kind(kind):
    return display.words(display.NOTIFIED_KINDS, kind)


@register.filter
def deny_reason(code):
    return display.deny_reason_label(code)
