"""Only the band's approvers decide a held order, whatever the way in: the API, the order page, the queue, the e-mail link.

An e-mailed link is only a link: without a login it decides nothing, and with one it decides
only for the people the band named.
"""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from accounts.roles import Role
from accounts.services import token_issue
from authorization.models import ApprovalTask
from tests.factories import member
from tests.support.clients import token_header
from tests.support.pages import messages

QUEUE = "/admin/orders/waitingorder/"
DENY_FIELDS = {"reason_code": "other", "note": "Not this one."}


def undecided(order) -> None:
    order.refresh_from_db()
    assert order.status == "waiting-for-manual-authorization"
    task = ApprovalTask.objects.get(order=order)
    assert (task.decision, task.decided_by) == ("", None)
    assert order.events.filter(kind="decision", actor__isnull=False).count() == 0


def emailed_path(order) -> str:
    (message,) = [m for m in mail.outbox if order.main_order_id in m.body]
    (link,) = [link for link in re.findall(r"https?://\S+", message.body) if "/admin/orders/order/" in link]
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
    return response.status_code, response.json()["message"]


def by_order_page(client, user, order, action):
    client.force_login(user)
    response = client.post(
        f"/admin/orders/order/{order.pk}/{action}/", {} if action == "approve" else DENY_FIELDS, follow=True
    )
    assert "Approve order" not in response.content.decode()
    return response.status_code, messages(response) if response.status_code == 200 else []


def by_queue(client, user, order, action):
    client.force_login(user)
    # The confirmation page's form, as if the user had seen it and confirmed.
    data = {"action": f"{action}_selected", "_selected_action": [order.pk], "confirm": "1"}
    data |= DENY_FIELDS if action == "deny" else {"note": ""}
    response = client.post(QUEUE, data, follow=True)
    return response.status_code, messages(response)


def by_emailed_link(client, user, order, action):
    client.force_login(user)
    page = client.get(emailed_path(order), follow=True)
    assert "Approve order" not in page.content.decode()
    return by_order_page(client, user, order, action)


CHANNELS = {"api": by_api, "order page": by_order_page, "queue": by_queue, "emailed link": by_emailed_link}
USERS = ["viewer", "oms_full", "approver not on the band", "owner of another account"]
APPROVERS = "(ana@acme.example, bo@acme.example)"


def refusal(who, channel, action, order) -> tuple:
    """What the user is told, each way in: another account's Owner does not find the order at all."""
    stranger = who == "owner of another account"
    if channel == "api":
        if stranger:
            return 403, "You have no access to account 'acme'."
        return 403, "Only the approvers of the band that held order MKP-123456789 may decide it."
    if channel in ("order page", "emailed link"):
        if stranger:
            return 404, []
        return 200, [
            (
                "error",
                f"Only the approvers of the band that held order MKP-123456789 may decide it {APPROVERS}.",
            )
        ]
    if who == "viewer":
        return 200, [("error", "You may read the queue but not decide orders: your role does not approve.")]
    why = f"#{order.pk} is not in your accounts" if stranger else "MKP-123456789 you may not decide"
    done = {"approve": "approved", "deny": "denied"}[action]
    return 200, [("error", f"0 of 1 order {done}: {why}.")]


@pytest.mark.parametrize("action", ["approve", "deny"])
@pytest.mark.parametrize("channel", list(CHANNELS))
@pytest.mark.parametrize("who", USERS)
def test_nobody_but_the_bands_approvers_decides(request, client, held_order, who, channel, action):
    user = not_on_the_band(request, who)
    assert CHANNELS[channel](client, user, held_order, action) == refusal(who, channel, action, held_order)
    undecided(held_order)
