"""The steps of the approval chains: a batch's held orders are their first approvers' (or whoever
covers for them in that account) as they are held, with no task to wait for; one task that cannot
be taken holds back no other; a message naming tasks, as an earlier release queued it, is still taken."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.absences import absence_set
from accounts.roles import Role
from authorization.models import ApprovalNotice, ApprovalTask
from orders import escalation, tasks
from orders.escalation import approvals_notify_due
from orders.intake.pipeline import intakes_process
from tests.factories import member
from tests.support.on_commit import lose_queued
from tests.support.orders import ANA, BO, HELD, held_bands, receive, rule_set
from tests.support.shop import make_shop

HOUR = timedelta(hours=1)
CARLA = "carla@acme.example"


@pytest.fixture
def two_shops(shop, owner, approver, second_approver, other_account, connector_server):
    """acme holds for ana then bo, globex for ana alone; ana is away from acme only, carla covering."""
    carla = member(shop.account, Role.APPROVER, CARLA)
    member(other_account, Role.OWNER, "owner@globex.example")
    member(other_account, Role.APPROVER, ANA)
    rule_set(shop.account, held_bands([ANA, BO]))
    rule_set(other_account, held_bands([ANA], escalate_after_minutes=60))
    now = timezone.now()
    absence_set(
        account=shop.account,
        user=approver,
        starts_at=now - HOUR,
        ends_at=now + 8 * HOUR,
        substitute=carla,
        actor=approver,
    )
    return shop, make_shop(other_account, connector_server.url)


def notices():
    return sorted(
        (notice.task.order.marketplace_order_id, notice.email, notice.level, notice.kind)
        for notice in ApprovalNotice.objects.select_related("task__order")
    )


def test_a_batch_s_held_orders_are_their_first_approvers_as_they_are_held(
    two_shops, django_capture_on_commit_callbacks
):
    acme, globex = two_shops
    for number in range(3):
        receive(acme, marketplaceOrderId=f"A{number}", marketplacePaymentValue=HELD)
    receive(acme, marketplaceOrderId="plain")
    receive(globex, marketplaceOrderId="G0", marketplacePaymentValue=HELD)
    lose_queued()
    with (
        mock.patch.object(tasks, "approvals_notify", wraps=escalation.approvals_notify) as notify,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert intakes_process(limit=100) == 5
    assert notify.call_args_list == []
    # ana is away from acme only: carla takes her turn there, and globex's orders are still ana's.
    assert notices() == [
        ("A0", CARLA, 0, "new"),
        ("A1", CARLA, 0, "new"),
        ("A2", CARLA, 0, "new"),
        ("G0", ANA, 0, "new"),
    ]
    for task in ApprovalTask.objects.select_related("order"):
        delay = timedelta(minutes=60 if task.order.marketplace_order_id == "G0" else 240)
        assert task.level == 0
        assert abs(task.next_notification_at - task.created_at - delay) < timedelta(seconds=30)


def held_three(acme) -> None:
    for number in range(3):
        receive(acme, marketplaceOrderId=f"A{number}", marketplacePaymentValue=HELD)
    lose_queued()
    intakes_process(limit=100)
    lose_queued()  # the digest: not what these tests look at


def test_a_task_that_cannot_be_taken_holds_back_no_other_and_stays_due(two_shops, caplog):
    acme, _ = two_shops
    held_three(acme)
    broken = ApprovalTask.objects.get(order__marketplace_order_id="A1")
    real = escalation.approver_in_turn

    def failing_for_a1(*, task, **kwargs):
        if task.pk == broken.pk:
            raise RuntimeError("cannot read the chain")
        return real(task=task, **kwargs)

    escalated = timezone.now() + timedelta(minutes=241)
    with mock.patch.object(escalation, "approver_in_turn", failing_for_a1):
        assert approvals_notify_due(now=escalated) == 2
    assert [notice for notice in notices() if notice[3] == "escalation"] == [
        ("A0", BO, 1, "escalation"),
        ("A2", BO, 1, "escalation"),
    ]
    broken.refresh_from_db()
    assert (broken.level, broken.next_notification_at < escalated) == (0, True)
    assert f"Could not take the due step of approval task {broken.pk}" in caplog.text
    # Once the chain can be read again, the next sweep takes it.
    assert approvals_notify_due(now=escalated) == 1
    assert ("A1", BO, 1, "escalation") in notices()


@pytest.mark.parametrize("message", ["one task", "a batch's"])
def test_a_message_an_earlier_release_queued_is_still_taken(two_shops, message):
    acme, _ = two_shops
    held_three(acme)
    assert tasks.notify_approvers(sorted(ApprovalTask.objects.values_list("pk", flat=True))) == 0  # not due
    # As an earlier release left them: opened, their first step queued as a message.
    ApprovalNotice.objects.all().delete()
    ApprovalTask.objects.update(level=-1, next_notification_at=timezone.now())
    pks = sorted(ApprovalTask.objects.values_list("pk", flat=True))
    if message == "one task":
        assert [tasks.notify_approvers(pk) for pk in pks] == [1, 1, 1]
    else:
        assert tasks.notify_approvers(pks) == 3
    assert notices() == [("A0", CARLA, 0, "new"), ("A1", CARLA, 0, "new"), ("A2", CARLA, 0, "new")]
