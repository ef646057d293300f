"""Deciding a held order: who may (`may_decide`), the decision recorded once (the compare-and-set
on the approval task), and what approving and denying do (PRODUCT.md §6).

The services are called as the admin, the seller API and the bulk decisions call them; the
held order (tests/conftest.py) is MKP-123456789, held for ana, then bo.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.roles import DECIDE_ORDER, Role
from accounts.services import membership_set
from authorization.models import ApprovalTask
from catalog.models import Stock
from orders.approvals import (
    AlreadyDecided,
    DecisionRefused,
    _claim,
    may_decide,
    order_approve,
    order_deny,
)
from orders.events import SYSTEM
from orders.models import Order
from orders.reservations import reservations_expire
from orders.services import order_cancel
from tests.factories import band, member
from tests.orders.payloads import order_body
from tests.support.orders import ANA, BO, place_held, placed_order, rule_set
from tests.support.pages import messages

WAITING = "waiting-for-manual-authorization"
User = get_user_model()
REFUSED = "Only the approvers of the band that held order MKP-123456789 may decide it."


def decision_state(order):
    """What the seller and the connector see of a decision: the order, its task, its events, the stock."""
    stored = Order.objects.get(pk=order.pk)
    task = ApprovalTask.objects.get(order=order)
    return {
        "order": (stored.status, stored.marketplace_approved, stored.reservation_released_at),
        "task": (task.decision, task.decided_by_id, task.decided_at, task.reason_code, task.note),
        "reminders": task.next_notification_at,
        "events": list(stored.events.values_list("kind", "from_status", "to_status", "note", "data")),
        "stock": list(Stock.objects.filter(account=order.account).values_list("quantity", "reserved")),
    }


def decide(how, order, user):
    """Approve, or deny for the reason "other", as `user`."""
    if how == "approve":
        order_approve(order=order, approver=user)
    else:
        order_deny(order=order, approver=user, reason_code="other", note="no")


def test_the_approvers_on_the_band_may_decide(held_order, approver, second_approver):
    assert may_decide(user=approver, order=held_order) is True
    assert may_decide(user=second_approver, order=held_order) is True


def test_the_band_s_emails_match_whatever_their_case(shop, owner, approver, second_approver):
    order = place_held(shop.connector, approvers=("Ana@ACME.example", BO))
    assert may_decide(user=approver, order=order) is True
    shouting = member(shop.account, Role.APPROVER, "CARLA@acme.example")
    order.band = {**order.band, "approvers": ["carla@acme.example"]}
    assert may_decide(user=shouting, order=order) is True


def test_no_one_else_may_decide(held_order, approver, owner, viewer, other_account):
    assert may_decide(user=AnonymousUser(), order=held_order) is False
    assert may_decide(user=owner, order=held_order) is False  # a deciding role, but not on the band
    stranger = member(other_account, Role.APPROVER, "carla@globex.example")
    held_order.band = {**held_order.band, "approvers": [ANA, "carla@globex.example"]}
    assert may_decide(user=stranger, order=held_order) is False  # on the band, in another account
    approver.is_active = False
    assert may_decide(user=approver, order=held_order) is False


def test_a_member_whose_role_no_longer_decides_may_not_though_on_the_band(held_order, approver, viewer):
    membership_set(user=approver, account=held_order.account, role=Role.VIEWER)
    demoted = User.objects.get(pk=approver.pk)
    assert may_decide(user=demoted, order=held_order) is False
    # The band limits deciding only: the viewer still sees the order.
    assert demoted.has_perm("orders.view_order", held_order) is True


def test_the_permission_asked_by_the_admin_and_the_api_applies_the_band_too(
    held_order, approver, owner, viewer, shop
):
    assert approver.has_perm(DECIDE_ORDER, held_order) is True
    assert owner.has_perm(DECIDE_ORDER, held_order) is False  # a deciding role, but not on the band
    assert viewer.has_perm(DECIDE_ORDER) is False
    assert approver.has_perm("orders.view_order", owner) is False  # a user belongs to no account
    assert approver.has_perm("catalog.view_sku", shop.sku) is True  # a SKU has no rule of its own
    approver.is_active = False
    assert approver.has_perm("orders.view_order", held_order) is False


def test_approving_moves_the_order_on_and_records_who_when_and_why(
    held_order, approver, connector_server, mkp
):
    before = timezone.now()
    with mkp.capture(execute=True):
        order_approve(order=held_order, approver=approver, note="Known promotion")
    task = ApprovalTask.objects.get(order=held_order)
    assert (task.decision, task.decided_by, task.note, task.reason_code) == (
        "approved",
        approver,
        "Known promotion",
        "",
    )
    assert before <= task.decided_at <= timezone.now()
    assert task.next_notification_at is None  # nobody is reminded of a decided order
    stored = Order.objects.get(pk=held_order.pk)
    assert (stored.status, stored.marketplace_approved) == ("payment-pending", False)
    event = stored.events.get(kind="decision", from_status=WAITING)
    assert (event.actor, event.actor_label, event.from_status, event.to_status, event.note, event.data) == (
        approver,
        ANA,
        WAITING,
        "payment-pending",
        "Approved by ana@acme.example. Known promotion",
        {"decision": "approved", "note": "Known promotion"},
    )
    # The marketplace had not asked to approve: nothing more is sent.
    assert connector_server.codes() == ["SOI001"]


def test_approving_without_a_note(held_order, second_approver):
    order_approve(order=held_order, approver=second_approver)
    event = Order.objects.get(pk=held_order.pk).events.get(kind="decision", from_status=WAITING)
    assert (event.note, event.data) == ("Approved by bo@acme.example.", {"decision": "approved", "note": ""})
    assert ApprovalTask.objects.get(order=held_order).decided_by == second_approver


def test_an_approval_asked_for_meanwhile_is_applied_and_notified(held_order, approver, mkp, connector_server):
    mkp.approve("123456789")
    with mkp.capture(execute=True):
        order_approve(order=held_order, approver=approver)
    stored = Order.objects.get(pk=held_order.pk)
    assert (stored.status, stored.marketplace_approved) == ("ready-for-handling", True)
    approved = connector_server.wait_for(3)[2].body
    assert (approved["code"], approved["flow"], approved["marketplaceOrderId"]) == (
        "SOI002",
        "ApproveOrder",
        "123456789",
    )
    assert approved["fields"]["mainOrderId"] == "MKP-123456789"


def test_approving_after_the_reservation_ran_out_reserves_the_stock_again(held_order, approver, shop):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    order_approve(order=held_order, approver=approver)
    stored = Order.objects.get(pk=held_order.pk)
    assert (stored.status, stored.reservation_released_at, stored.reservation_expired) == (
        "payment-pending",
        None,
        False,
    )
    assert stored.reservation_expires_at > timezone.now() + timedelta(hours=23)
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1
    assert stored.events.filter(kind="reservation", actor=approver, note="Stock reserved again.").exists()


def test_approving_after_the_reservation_ran_out_without_stock_is_refused_naming_the_sku(
    held_order, approver, shop
):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=0)
    before = decision_state(held_order)
    with pytest.raises(DecisionRefused) as refused:
        order_approve(order=held_order, approver=approver)
    assert str(refused.value) == (
        "Order MKP-123456789 cannot be approved: its reservation ran out and SKU 1 has no stock left."
    )
    assert refused.value.__cause__ is None
    assert decision_state(held_order) == before


def test_denying_cancels_the_order_releases_its_stock_and_records_the_reason(
    held_order, approver, shop, connector_server, mkp
):
    with mkp.capture(execute=True):
        order_deny(order=held_order, approver=approver, reason_code="price-error", note="Wrong feed price")
    task = ApprovalTask.objects.get(order=held_order)
    assert (task.decision, task.decided_by, task.reason_code, task.note, task.next_notification_at) == (
        "denied",
        approver,
        "price-error",
        "Wrong feed price",
        None,
    )
    stored = Order.objects.get(pk=held_order.pk)
    assert stored.status == "canceled"
    shop.stock.refresh_from_db()
    assert (shop.stock.quantity, shop.stock.reserved) == (10, 0)
    event = stored.events.get(kind="decision", from_status=WAITING)
    assert (event.actor, event.from_status, event.to_status, event.note, event.data) == (
        approver,
        WAITING,
        "canceled",
        "Denied by ana@acme.example: Price error. Wrong feed price",
        {"decision": "denied", "reasonCode": "price-error", "note": "Wrong feed price"},
    )
    # The marketplace had not asked to approve: it hears of the denial when it asks (EOI009).
    assert connector_server.codes() == ["SOI001"]


def test_a_denial_after_the_marketplace_asked_is_notified_with_the_reason(
    held_order, approver, mkp, connector_server
):
    mkp.approve("123456789")
    with mkp.capture(execute=True):
        order_deny(order=held_order, approver=approver, reason_code="suspicious", note="Fraud pattern")
    denied = connector_server.wait_for(3)[2].body
    assert (denied["code"], denied["flow"], denied["marketplaceOrderId"]) == (
        "EOI009",
        "ApproveOrder",
        "123456789",
    )
    assert denied["errors"] == [
        {
            "source": "Order Integration",
            "code": "SUSPICIOUS",
            "description": "Denied by the seller (Suspicious order): Fraud pattern",
        }
    ]


@pytest.mark.parametrize(
    ("reason_code", "note", "message"),
    [
        ("because", "Wrong price", "Choose a reason: price-error, stock, suspicious, other."),
        ("", "Wrong price", "Choose a reason: price-error, stock, suspicious, other."),
        ("other", " \n", "Say in a note why the order is denied: the connector is told."),
        ("other", "x" * 2001, "The note has 2001 characters: say why in 2000 or fewer."),
    ],
)
def test_a_denial_needs_a_reason_and_a_note(held_order, approver, reason_code, note, message):
    before = decision_state(held_order)
    with pytest.raises(DecisionRefused) as refused:
        order_deny(order=held_order, approver=approver, reason_code=reason_code, note=note)
    assert str(refused.value) == message
    assert decision_state(held_order) == before


def test_a_note_of_the_longest_length_is_taken(held_order, approver):
    order_deny(order=held_order, approver=approver, reason_code="other", note="x" * 2000)
    assert ApprovalTask.objects.get(order=held_order).note == "x" * 2000


def test_someone_not_on_the_band_hears_so_before_what_the_denial_lacks(held_order, owner):
    with pytest.raises(DecisionRefused) as refused:
        order_deny(order=held_order, approver=owner, reason_code="", note="")
    assert str(refused.value) == REFUSED


@pytest.mark.parametrize("how", ["approve", "deny"])
def test_someone_not_on_the_band_is_refused_and_nothing_changes(held_order, owner, how):
    before = decision_state(held_order)
    with pytest.raises(DecisionRefused) as refused:
        decide(how, held_order, owner)
    assert str(refused.value) == REFUSED
    assert not isinstance(refused.value, AlreadyDecided)
    assert decision_state(held_order) == before


def test_whoever_may_not_decide_is_told_on_the_order_page_whom_to_ask(client, held_order, owner):
    client.force_login(owner)
    response = client.post(
        f"/admin/orders/order/{held_order.pk}/deny/", {"reason_code": "other", "note": "no"}, follow=True
    )
    assert messages(response) == [
        (
            "error",
            f"Only the approvers of the band that held order MKP-123456789 may decide it ({ANA}, {BO}).",
        )
    ]


def test_an_order_no_band_held_for_anyone_names_nobody_to_ask(client, shop, owner, approver):
    rule_set(shop.connector.account, [band(0, 100, "authorize")])
    order = placed_order(shop.connector, order_body())
    client.force_login(approver)
    response = client.post(f"/admin/orders/order/{order.pk}/approve/", follow=True)
    assert messages(response) == [
        ("error", "Only the approvers of the band that held order MKP-123456789 may decide it (nobody).")
    ]


@pytest.mark.parametrize("how", ["approve", "deny"])
def test_a_second_decision_is_already_decided_naming_who_and_when(held_order, approver, second_approver, how):
    order_approve(order=held_order, approver=approver)
    before = decision_state(held_order)
    with pytest.raises(AlreadyDecided) as refused:
        decide(how, held_order, second_approver)
    task = ApprovalTask.objects.get(order=held_order)
    when = timezone.localtime(task.decided_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    assert str(refused.value) == f"Order MKP-123456789 was already approved by ana@acme.example at {when}."
    assert (refused.value.task.decision, refused.value.task.decided_by) == ("approved", approver)
    assert decision_state(held_order) == before


@pytest.mark.parametrize("how", ["approve", "deny"])
def test_deciding_one_order_leaves_the_others_waiting(held_order, approver, shop, how):
    other = place_held(shop.connector, marketplaceOrderId="987654321")
    before = decision_state(other)
    decide(how, held_order, approver)
    after = decision_state(other)
    assert (after["order"], after["task"], after["events"]) == (
        before["order"],
        before["task"],
        before["events"],
    )
    assert ApprovalTask.objects.get(order=other).next_notification_at is not None


def test_a_decision_that_lost_the_race_for_the_task_changes_nothing(held_order, approver, second_approver):
    # Read before the other decision was claimed: the compare-and-set refuses the stale task.
    read_before = ApprovalTask.objects.get(order=held_order)
    order_deny(order=held_order, approver=approver, reason_code="stock", note="Out of it")
    before = decision_state(held_order)
    with pytest.raises(AlreadyDecided) as refused:
        _claim(read_before, decision="approved", user=second_approver)
    assert str(refused.value).startswith("Order MKP-123456789 was already denied by ana@acme.example at ")
    assert (refused.value.task.decided_by, refused.value.task.reason_code) == (approver, "stock")
    assert decision_state(held_order) == before


def test_the_claim_records_the_decision_on_the_task_it_was_given(held_order, approver):
    task = ApprovalTask.objects.get(order=held_order)
    _claim(task, decision="denied", user=approver, reason_code="other", note="Duplicate")
    stored = ApprovalTask.objects.get(pk=task.pk)
    assert (task.decision, task.decided_by, task.decided_at, task.reason_code, task.note) == (
        stored.decision,
        stored.decided_by,
        stored.decided_at,
        "other",
        "Duplicate",
    )
    assert stored.decision == "denied"


def test_an_already_decided_task_with_no_decider_left_says_someone(held_order, approver):
    order_approve(order=held_order, approver=approver)
    approver.delete()
    task = ApprovalTask.objects.select_related("order", "decided_by").get(order=held_order)
    assert str(AlreadyDecided(task)).startswith("Order MKP-123456789 was already approved by someone at ")


def test_an_order_no_longer_waiting_cannot_be_decided(held_order, approver):
    order_cancel(order=held_order, actor=SYSTEM, reason="Customer gave up")
    before = decision_state(held_order)
    with pytest.raises(DecisionRefused) as refused:
        order_approve(order=held_order, approver=approver)
    assert str(refused.value) == "Order MKP-123456789 is canceled: it no longer waits for a decision."
    assert decision_state(held_order) == before


def test_an_order_without_an_approval_task_cannot_be_decided(held_order, approver):
    ApprovalTask.objects.filter(order=held_order).delete()
    with pytest.raises(DecisionRefused) as refused:
        order_approve(order=held_order, approver=approver)
    assert str(refused.value) == "Order MKP-123456789 is not waiting for manual authorization."
    assert Order.objects.get(pk=held_order.pk).status == WAITING


def test_the_order_is_judged_as_it_is_when_locked_not_as_it_was_read(held_order, approver):
    read_before = Order.objects.get(pk=held_order.pk)
    order_cancel(order=held_order, actor=SYSTEM)
    with pytest.raises(DecisionRefused, match="is canceled: it no longer waits"):
        order_deny(order=read_before, approver=approver, reason_code="other", note="no")
    assert ApprovalTask.objects.get(order=held_order).decision == ""
