"""Only the band's approvers decide a held order, whatever the way in: the API, the order page, the queue, the e-mail link.

An e-mailed link is only a link: without a login it decides nothing, and with one it decides
only for the people the band named.
"""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from authorization.models import ApprovalTask
from authorization.roles import Role
from authorization.services import token_issue
from tests.factories import member
from tests.support.clients import token_header

QUEUE = "/admin/orders/waitingorder/"
DENY_FIELDS = {"reason_code": "other", "note": "Not this one."}


def undecided(order) -> None:
    order.refresh_from_db()
    assert order.status == "waiting-for-manual-authorization"
    task = ApprovalTask.objects.get(order=order)
    assert (task.decision, task.decided_by) == ("", None)
    assert order.events.filter(kind="decision", actor__isnull=False).count() == 0


def emailed_path(order) -> str:
    (message,) = [m for m in mail.outbox if order.main_order_id in m.subject]
    (link,) = re.findall(r"https?://\S+", message.body)
    return urlsplit(link).path


def test_the_emailed_link_without_a_login_leads_to_the_login_and_decides_nothing(client, held_order):
    path = emailed_path(held_order)
    assert path == f"/admin/orders/order/{held_order.pk}/change/"
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"
    login = client.get(response["Location"])
    assert "MKP-123456789" not in login.content.decode()
    for action, data in (("approve", {}), ("deny", DENY_FIELDS)):
        response = client.post(f"/admin/orders/order/{held_order.pk}/{action}/", data)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    bulk = client.post(QUEUE, {"action": "approve_selected", "_selected_action": [held_order.pk]})
    assert bulk["Location"].startswith("/admin/login/")
    undecided(held_order)


def test_the_emailed_link_decides_once_its_approver_logs_in(client, held_order, approver):
    path = emailed_path(held_order)
    client.force_login(approver)
    assert "Approve order" in client.get(path).content.decode()
    client.post(f"/admin/orders/order/{held_order.pk}/approve/", {})
    held_order.refresh_from_db()
    assert held_order.status == "payment-pending"


def not_on_the_band(request, who):
    """A user who is not on the band: a viewer, an OMS Full user, another approver, another account's owner."""
    if who == "approver not on the band":
        return member(request.getfixturevalue("account"), Role.APPROVER, "carla@acme.example")
    if who == "owner of another account":
        return request.getfixturevalue("globex").owner
    return request.getfixturevalue(who)


def by_api(client, user, order, action):
    body = {} if action == "approve" else {"reasonCode": "other", "note": "Not this one."}
    response = client.post(
        f"/api/orders/{order.main_order_id}/{action}?an=acme",
        data=json.dumps(body),
        content_type="application/json",
        **token_header(token_issue(user=user)),
    )
    assert response.status_code in (403, 404), response.content


def by_order_page(client, user, order, action):
    client.force_login(user)
    response = client.post(
        f"/admin/orders/order/{order.pk}/{action}/", {} if action == "approve" else DENY_FIELDS, follow=True
    )
    assert response.status_code in (200, 404)
    assert "Approve order" not in response.content.decode()


def by_queue(client, user, order, action):
    client.force_login(user)
    data = {"action": f"{action}_selected", "_selected_action": [order.pk]}
    if action == "deny":
        data |= {"confirm": "1", **DENY_FIELDS}
    response = client.post(QUEUE, data, follow=True)
    assert response.status_code in (200, 403)


def by_emailed_link(client, user, order, action):
    client.force_login(user)
    page = client.get(emailed_path(order), follow=True)
    assert "Approve order" not in page.content.decode()
    by_order_page(client, user, order, action)


CHANNELS = {"api": by_api, "order page": by_order_page, "queue": by_queue, "emailed link": by_emailed_link}
USERS = ["viewer", "oms_full", "approver not on the band", "owner of another account"]


@pytest.mark.parametrize("action", ["approve", "deny"])
@pytest.mark.parametrize("channel", list(CHANNELS))
@pytest.mark.parametrize("who", USERS)
def test_nobody_but_the_bands_approvers_decides(request, client, held_order, who, channel, action):
    user = not_on_the_band(request, who)
    CHANNELS[channel](client, user, held_order, action)
    undecided(held_order)
