"""The admin index's line about the manual-authorization queue: how many wait, how many for me."""

from django import template
from django.urls import reverse

from kit.admin_lists import capped_label
from orders.admin.queue import COUNT_CAP, MINE_CAP
from orders.selectors import waiting_counts

register = template.Library()


@register.inclusion_tag("admin/orders/waitingorder/_index_summary.html", takes_context=True)
def waiting_queue_summary(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("orders.view_order"):
        return {"show": False}
    waiting, mine = waiting_counts(user=user, cap=COUNT_CAP, mine_cap=MINE_CAP)
    queue_url = reverse("admin:orders_waitingorder_changelist")
    return {
        "show": True,
        "waiting": waiting,
        "waiting_label": capped_label(waiting, cap=COUNT_CAP),
        "mine": mine,
        "mine_label": capped_label(mine, cap=MINE_CAP),
        "queue_url": queue_url,
        "mine_url": f"{queue_url}?mine=yes",
    }
