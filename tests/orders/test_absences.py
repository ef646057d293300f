"""Approvers away: their turn in the chain passes to their substitute, who may decide the orders
they could, is e-mailed instead, and is recorded as deciding on their behalf.

`held_order` (tests/conftest.py) is MKP-123456789, held for ana, escalating to bo after 240 minutes.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.absences import absence_end, absence_set
from accounts.roles import Role
from authorization.models import ApprovalNotice, ApprovalTask
from orders.approvals import may_decide, order_approve, order_deny
from orders.escalation import approvals_notify_due, approver_in_turn
from orders.models import Order
from orders.selectors import awaiting_decision_by, waiting_orders
from tests.factories import band, member
from tests.support.orders import place_held
from tests.support.pages import page

HOUR = timedelta(hours=1)
ESCALATE = timedelta(minutes=240)
QUEUE = "/admin/orders/waitingorder/"
User = get_user_model()


@pytest.fixture
def carla(account):
    return member(account, Role.APPROVER, "carla@acme.example")


def away(who, substitute=None, *, start=-HOUR, end=8 * HOUR, actor=None):
    now = timezone.now()
    return absence_set(
        account=who.memberships.get().account,
        user=who,
        starts_at=now + start,
        ends_at=now + end,
        substitute=substitute,
        actor=actor or who,
    )


def fresh(user):
    """The user as a new request reads them: nothing of an earlier request cached on them."""
    return User.objects.get(pk=user.pk)


def twin_agrees(user, orders) -> set[str]:
    """The orders the user may decide, asked of the Python rule and of its SQL twin: they agree."""
    by_python = {order.main_order_id for order in orders if may_decide(user=fresh(user), order=order)}
    by_sql = set(
        awaiting_decision_by(waiting_orders(user=fresh(user)), user=fresh(user)).values_list(
            "main_order_id", flat=True
        )
    )
    assert by_python == by_sql
    return by_python


def test_the_substitute_may_decide_what_the_absent_approver_could_while_it_lasts(
    shop, owner, approver, second_approver, carla, other_account
):
    bands = [
        band(0, 10, "authorize"),
        band(10, 20, "manual", ["ana@acme.example"]),
        band(20, 100, "manual", ["bo@acme.example"]),
    ]
    ana_s = place_held(shop.connector, bands=bands, marketplaceOrderId="A")
    bo_s = place_held(shop.connector, bands=bands, paid=2269, marketplaceOrderId="B")
    orders = [ana_s, bo_s]
    assert twin_agrees(carla, orders) == set()
    absence = away(approver, carla)
    assert twin_agrees(carla, orders) == {"MKP-A"}
    assert twin_agrees(approver, orders) == {"MKP-A"}  # away, still an approver of their own orders
    # The turn follows a substitute who is away too, and only in the absence's account.
    away(carla, second_approver, start=0 * HOUR)
    assert twin_agrees(second_approver, orders) == {"MKP-A", "MKP-B"}
    elsewhere = member(other_account, Role.APPROVER, "bo@globex.example")
    assert twin_agrees(elsewhere, orders) == set()
    absence_end(absence=absence, actor=owner)
    assert twin_agrees(second_approver, orders) == {"MKP-B"}
    assert twin_agrees(carla, orders) == set()


def test_a_viewer_named_nowhere_decides_nothing_whoever_is_away(
    held_order, approver, second_approver, viewer
):
    away(approver, second_approver)
    assert twin_agrees(viewer, [held_order]) == set()


def test_the_substitute_decides_on_behalf_of_the_absent_approver_and_everyone_sees_it(
    held_order, owner, approver, second_approver, carla, client, api_client_for
):
    away(approver, carla)
    order_approve(order=held_order, approver=fresh(carla), note="Known promotion")
    task = ApprovalTask.objects.get(order=held_order)
    assert (task.decided_by, task.on_behalf_of) == (carla, "ana@acme.example")
    event = held_order.events.get(kind="decision", actor__isnull=False)
    assert event.note == "Approved by carla@acme.example on behalf of ana@acme.example. Known promotion"
    assert event.data["onBehalfOf"] == "ana@acme.example"

    client.force_login(owner)
    shown = page(client, f"/admin/orders/order/{held_order.pk}/change/")
    assert "Approved by carla@acme.example on behalf of ana@acme.example at" in shown
    assert "Approved by carla@acme.example on behalf of ana@acme.example. Known promotion" in shown

    body = api_client_for(owner).get("/api/orders/MKP-123456789?an=acme").json()
    assert body["manualDecision"]["decidedBy"] == "carla@acme.example"
    assert body["manualDecision"]["onBehalfOf"] == "ana@acme.example"
    assert body["manualDecision"]["decision"] == "approved"


def test_an_order_the_deadline_decided_says_so_in_the_seller_api(held_order, owner, api_client_for):
    ApprovalTask.objects.filter(order=held_order).update(
        decision="denied", decided_by_deadline=True, decided_at=timezone.now(), reason_code="expired"
    )
    body = api_client_for(owner).get("/api/orders/MKP-123456789?an=acme").json()
    assert body["manualDecision"] == {
        "decision": "denied",
        "decidedBy": "deadline",
        "decidedAt": body["manualDecision"]["decidedAt"],
        "onBehalfOf": None,
    }
    assert body["manualDecision"]["decidedAt"] is not None


def test_an_approver_on_the_band_decides_in_their_own_right_whoever_they_cover(
    held_order, approver, second_approver
):
    away(approver, second_approver)
    order_deny(order=held_order, approver=fresh(second_approver), reason_code="other", note="No")
    task = ApprovalTask.objects.get(order=held_order)
    assert (task.decided_by, task.on_behalf_of) == (second_approver, "")
    assert Order.objects.get(pk=held_order.pk).events.get(kind="decision", actor__isnull=False).note == (
        "Denied by bo@acme.example: Other. No"
    )


def test_the_substitute_is_emailed_instead_and_the_turn_comes_back_when_the_absence_ends(
    held_order, owner, approver, second_approver, carla
):
    """Held for ana, then bo. Bo is away with carla covering until the absence is ended early."""
    task = ApprovalTask.objects.get(order=held_order)
    now = timezone.now()
    absence = away(second_approver, carla, start=0 * HOUR, end=100 * HOUR)
    assert approver_in_turn(task=task, level=0, at=now + HOUR) == "ana@acme.example"
    assert approver_in_turn(task=task, level=1, at=now + HOUR) == "carla@acme.example"
    assert approvals_notify_due(now=now + ESCALATE + HOUR) == 1
    # Ended mid-chain: the next step (a reminder) is bo's again.
    absence_end(absence=absence, actor=second_approver)
    assert approvals_notify_due(now=now + 2 * ESCALATE + 2 * HOUR) == 1
    assert [
        (notice.email, notice.level, notice.kind) for notice in ApprovalNotice.objects.order_by("pk")
    ] == [
        ("ana@acme.example", 0, "new"),
        ("carla@acme.example", 1, "escalation"),
        ("bo@acme.example", 1, "reminder"),
    ]


def test_the_substitute_s_digest_says_whom_they_cover(
    held_order, approver, second_approver, carla, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    away(second_approver, carla, start=0 * HOUR, end=100 * HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        assert approvals_notify_due(now=now + ESCALATE + HOUR) == 1
    to_ana, to_carla = mailoutbox
    assert (to_ana.to, to_carla.to) == (["ana@acme.example"], ["carla@acme.example"])
    assert "Covering for" not in to_ana.body
    covering = "Covering for bo@acme.example, who is away."
    assert "* Order MKP-123456789 (SkyHub): escalated to you\n  " + covering in to_carla.body
    assert covering in to_carla.alternatives[0].content


def test_an_approver_away_without_a_substitute_is_skipped_to_the_next(held_order, approver, second_approver):
    task = ApprovalTask.objects.get(order=held_order)
    away(approver)
    assert approver_in_turn(task=task, level=0, at=timezone.now()) == "bo@acme.example"
    assert approver_in_turn(task=task, level=1, at=timezone.now()) == "bo@acme.example"


def test_needs_my_decision_lists_what_a_substitute_covers_marked(
    client, held_order, approver, second_approver, carla
):
    away(approver, carla)
    client.force_login(carla)
    listing = page(client, f"{QUEUE}?mine=yes")
    assert "MKP-123456789" in listing
    assert "covering for ana@acme.example" in listing
    assert 'class="button row-approve"' in listing
    index = page(client, "/admin/")
    assert "1 needs my decision" in index
    client.force_login(approver)
    assert "covering for" not in page(client, f"{QUEUE}?mine=yes")


def test_the_order_page_shows_who_is_away_and_who_covers(
    client, held_order, owner, approver, second_approver, carla
):
    away(approver, carla)
    away(second_approver)
    client.force_login(owner)
    shown = page(client, f"/admin/orders/order/{held_order.pk}/change/")
    chain = re.search(r'<span id="approval-chain">(.*)', shown, re.S).group(1)
    ana, bo = (
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", turn)).strip()
        for turn in re.findall(r'<span class="oa-turn">(.*?)</span>', chain, re.S)
    )
    assert ana.startswith("1. ana@acme.example (current) — away until ")
    assert ana.endswith("; carla@acme.example covers")
    assert bo.startswith("2. bo@acme.example — away until ")
    assert bo.endswith("; nobody covers: their turn passes to the next approver")
