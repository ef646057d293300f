"""Deciding orders held for manual authorization: who may, what happens after, escalation, expiry."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from authorization.models import ApprovalNotice, ApprovalTask, ApproverMailbox
from authorization.services import rule_replace
from catalog.models import Stock
from orders.escalation import approvals_notify_due
from orders.models import Order
from orders.reservations import reservations_expire
from orders.tasks import escalate_approvals
from tests.factories import band, member
from tests.support.concurrency import at_once
from tests.support.observe import observed

# `held_order` (tests/conftest.py) is held for ana, escalating to bo after 240 minutes.
ESCALATE = timedelta(minutes=240)


def decide(api_client_for, user, action, **body):
    return api_client_for(user).post(f"/api/orders/MKP-123456789/{action}?an=acme", body, format="json")


def test_the_first_approver_is_emailed_a_link_when_the_order_is_held(held_order):
    task = ApprovalTask.objects.get(order=held_order)
    assert (task.approvers, task.level) == (["ana@acme.example", "bo@acme.example"], 0)
    (message,) = mail.outbox
    assert message.to == ["ana@acme.example"]
    assert message.subject == "1 order waits for your authorization"
    assert "MKP-123456789" in message.body
    assert f"/admin/orders/order/{held_order.pk}/change/" in message.body


def test_a_listed_approver_approves_and_the_order_moves_on(
    held_order, approver, api_client_for, connector_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(api_client_for, approver, "approve", note="Known promotion")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "payment-pending"
    held_order.refresh_from_db()
    event = held_order.events.get(kind="decision", actor__isnull=False)
    assert (event.actor_label, event.from_status, event.to_status) == (
        "ana@acme.example",
        "waiting-for-manual-authorization",
        "payment-pending",
    )
    assert "Known promotion" in event.note
    # The marketplace had not asked to approve: nothing more is sent, SOI002 waits for its request.
    assert connector_server.codes() == ["SOI001"]


@pytest.mark.parametrize("who", ["viewer", "oms_full", "stranger_approver"])
def test_anyone_not_on_the_band_is_refused_and_nothing_changes(
    request, held_order, api_client_for, who, connector_server, django_capture_on_commit_callbacks
):
    if who == "stranger_approver":
        user = member(held_order.account, Role.APPROVER, "carla@acme.example")
    else:
        user = request.getfixturevalue(who)
    before = observed(held_order.account)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(api_client_for, user, "approve")
    assert response.status_code == 403
    assert (
        response.json()["message"]
        == "Only the approvers of the band that held order MKP-123456789 may decide it."
    )
    assert observed(held_order.account) == before
    assert connector_server.codes() == ["SOI001"]


def test_the_band_as_it_was_decides_who_may_approve(held_order, owner, approver, api_client_for):
    rule_replace(
        account=held_order.account, bands=[band(0, 100, "manual", ["owner@acme.example"])], actor=owner
    )
    assert decide(api_client_for, owner, "approve").status_code == 403
    assert held_order.approval_task.decision == ""
    assert decide(api_client_for, approver, "approve").status_code == 200
    held_order.refresh_from_db()
    held_order.approval_task.refresh_from_db()
    assert (held_order.status, held_order.approval_task.decided_by) == ("payment-pending", approver)


def test_a_deny_needs_a_reason_code_and_a_note(held_order, approver, api_client_for):
    before = observed(held_order.account)
    response = decide(api_client_for, approver, "deny", reasonCode="because", note="")
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"reasonCode", "note"}
    assert observed(held_order.account) == before


def test_deny_cancels_releases_stock_and_records_the_reason(
    held_order, approver, api_client_for, shop, connector_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(api_client_for, approver, "deny", reasonCode="price-error", note="Wrong feed price")
    assert response.status_code == 200
    held_order.refresh_from_db()
    shop.stock.refresh_from_db()
    assert (held_order.status, shop.stock.reserved) == ("canceled", 0)
    task = held_order.approval_task
    assert (task.decision, task.reason_code, task.note, task.decided_by) == (
        "denied",
        "price-error",
        "Wrong feed price",
        approver,
    )
    # The marketplace had not asked to approve: it hears of the denial only when it asks (EOI009).
    assert connector_server.codes() == ["SOI001"]


def test_an_approval_asked_for_meanwhile_is_applied_and_notified(
    held_order, mkp, approver, api_client_for, connector_server
):
    mkp.approve("123456789")
    assert connector_server.codes() == ["SOI001", "EOI011"]
    with mkp.capture(execute=True):
        decide(api_client_for, approver, "approve")
    approved = connector_server.wait_for(3)[2].body
    assert (approved["code"], approved["flow"]) == ("SOI002", "ApproveOrder")
    held_order.refresh_from_db()
    assert (held_order.status, held_order.marketplace_approved) == ("ready-for-handling", True)


def test_a_denial_after_the_marketplace_asked_is_notified_eoi009_with_the_reason(
    held_order, mkp, approver, api_client_for, connector_server
):
    mkp.approve("123456789")
    with mkp.capture(execute=True):
        decide(api_client_for, approver, "deny", reasonCode="suspicious", note="Fraud pattern")
    denied = connector_server.wait_for(3)[2].body
    assert denied["code"] == "EOI009"
    assert denied["errors"] == [
        {
            "source": "Order Integration",
            "code": "SUSPICIOUS",
            "description": "Denied by the seller (Suspicious order): Fraud pattern",
        }
    ]


def test_a_second_decision_gets_already_decided_with_who_and_when(
    held_order, approver, second_approver, api_client_for
):
    assert decide(api_client_for, approver, "approve").status_code == 200
    before = observed(held_order.account)
    response = decide(api_client_for, second_approver, "deny", reasonCode="other", note="no")
    assert response.status_code == 409
    body = response.json()
    assert body["message"].startswith("Order MKP-123456789 was already approved by ana@acme.example at ")
    assert (body["decision"], body["decidedBy"]) == ("approved", "ana@acme.example")
    assert observed(held_order.account) == before
    held_order.refresh_from_db()
    assert held_order.status == "payment-pending"


def test_escalation_tells_the_next_approver_once_then_reminds_the_last_as_often_as_set(held_order, settings):
    settings.APPROVAL_REMINDERS = 2
    now = timezone.now()
    minute = timedelta(minutes=1)
    assert approvals_notify_due(now=now + ESCALATE - minute) == 0
    assert approvals_notify_due(now=now + ESCALATE + minute) == 1
    assert approvals_notify_due(now=now + ESCALATE + 2 * minute) == 0
    assert approvals_notify_due(now=now + 2 * ESCALATE + 2 * minute) == 1
    assert approvals_notify_due(now=now + 3 * ESCALATE + 3 * minute) == 1
    assert approvals_notify_due(now=now + 10 * ESCALATE) == 0  # two reminders, then no more
    assert [(n.email, n.kind) for n in ApprovalNotice.objects.order_by("pk")] == [
        ("ana@acme.example", "new"),
        ("bo@acme.example", "escalation"),
        ("bo@acme.example", "reminder"),
        ("bo@acme.example", "reminder"),
    ]
    task = ApprovalTask.objects.get()
    assert (task.level, task.next_notification_at) == (1, None)
    assert [(entry["email"], entry["kind"]) for entry in task.notified] == [("ana@acme.example", "new")]


def test_a_first_email_whose_task_never_ran_is_sent_by_the_sweep(
    held_order, django_capture_on_commit_callbacks
):
    """A message lost, or queued under the task's name of before it moved to orders, is not run:
    the approval task stays due as it was opened, and the beat's `escalate_approvals` takes the
    step; the approver's digest says it."""
    ApprovalTask.objects.filter(order=held_order).update(
        level=-1, notified=[], next_notification_at=timezone.now()
    )
    ApprovalNotice.objects.all().delete()
    ApproverMailbox.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_approvals() == 1
        assert escalate_approvals() == 0
    assert [m.to for m in mail.outbox] == [["ana@acme.example"]]
    assert mail.outbox[0].subject == "1 order waits for your authorization"
    task = ApprovalTask.objects.get(order=held_order)
    assert [(entry["email"], entry["kind"]) for entry in task.notified] == [("ana@acme.example", "new")]


def test_no_more_emails_once_decided(held_order, approver, api_client_for):
    assert decide(api_client_for, approver, "approve").status_code == 200
    mail.outbox.clear()
    assert approvals_notify_due(now=timezone.now() + timedelta(days=2)) == 0
    assert mail.outbox == []


def test_after_the_reservation_ran_out_approval_reserves_again(held_order, approver, api_client_for, shop):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 0
    assert decide(api_client_for, approver, "approve").status_code == 200
    shop.stock.refresh_from_db()
    held_order.refresh_from_db()
    assert (shop.stock.reserved, held_order.reservation_expired) == (1, False)


def test_after_the_reservation_ran_out_approval_fails_naming_the_sku_without_stock(
    held_order, approver, api_client_for, shop
):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=0)
    response = decide(api_client_for, approver, "approve")
    assert response.status_code == 409
    assert response.json()["message"] == (
        "Order MKP-123456789 cannot be approved: its reservation ran out and SKU 1 has no stock left."
    )
    held_order.refresh_from_db()
    assert held_order.status == "waiting-for-manual-authorization"
    assert held_order.approval_task.decision == ""


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_make_one_decision(
    held_order, approver, second_approver, api_client_for
):
    from tests.worker import require_services

    require_services()
    clients = [api_client_for(approver), api_client_for(second_approver)]

    def act(client, action, body):
        return lambda: (
            action,
            client.post(f"/api/orders/MKP-123456789/{action}?an=acme", body, format="json"),
        )

    answers = at_once(
        [act(clients[0], "approve", {}), act(clients[1], "deny", {"reasonCode": "other", "note": "no"})]
    )
    statuses = {action: response.status_code for action, response in answers}
    assert sorted(statuses.values()) == [200, 409]
    (won,) = [action for action, status in statuses.items() if status == 200]
    order = Order.objects.get()
    # Either may win the race; the order is what the winner decided, and the loser changed nothing.
    assert order.status == {"approve": "payment-pending", "deny": "canceled"}[won]
    assert order.approval_task.decision == {"approve": "approved", "deny": "denied"}[won]
    assert order.events.filter(kind="decision", actor__isnull=False).count() == 1
