"""Deadlines: once a manual band's chain has had its time, the band denies, approves up to a cap, or waits."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from authorization.decision import Band, OnDeadline
from authorization.models import ApprovalTask
from orders.deadlines import deadline_decide, deadlines_decide_due
from orders.events import SYSTEM
from orders.models import Order
from orders.reservations import reservations_expire
from orders.services import order_cancel
from orders.tasks import decide_at_deadlines
from tests.factories import band
from tests.support.concurrency import at_once
from tests.support.observe import observed
from tests.support.orders import ANA, BO, HELD, place_held
from tests.support.pages import page as page_at
from tests.support.pages import section

CHAIN = timedelta(minutes=480)  # two approvers, 240 min each
AFTER = CHAIN + timedelta(minutes=1)


def bands_with(**deadline) -> list[Band]:
    return [
        band(0, 10, "authorize"),
        band(10, 20, "manual", (ANA, BO), 240, **deadline),
        band(20, 100, "deny"),
    ]


DENY = {"on_deadline": OnDeadline.DENY, "deadline_minutes": 480}


def approve_up_to(cap: int) -> dict:
    return {"on_deadline": OnDeadline.APPROVE_UP_TO, "deadline_minutes": 480, "approve_up_to_cents": cap}


def sweep(capture, *, after=AFTER) -> int:
    with capture(execute=True):
        return deadlines_decide_due(now=timezone.now() + after)


@pytest.fixture
def deny_order(shop, owner, approver, second_approver):
    return place_held(shop.connector, bands=bands_with(**DENY))


def test_the_task_records_when_the_deadline_comes(deny_order):
    task = deny_order.approval_task
    assert round((task.deadline_at - task.created_at) / timedelta(minutes=1)) == 480
    assert deny_order.band["onDeadline"] == "deny"
    assert deny_order.band["deadlineMinutes"] == 480


def test_before_the_deadline_nothing_happens(deny_order, django_capture_on_commit_callbacks):
    before = observed(deny_order.account)
    assert sweep(django_capture_on_commit_callbacks, after=CHAIN - timedelta(minutes=1)) == 0
    assert observed(deny_order.account) == before


def test_a_deny_deadline_cancels_releases_stock_and_records_expired(
    deny_order, shop, connector_server, django_capture_on_commit_callbacks
):
    assert sweep(django_capture_on_commit_callbacks) == 1
    deny_order.refresh_from_db()
    shop.stock.refresh_from_db()
    assert (deny_order.status, shop.stock.reserved) == ("canceled", 0)
    task = deny_order.approval_task
    assert (task.decision, task.reason_code, task.decided_by, task.decided_by_deadline) == (
        "denied",
        "expired",
        None,
        True,
    )
    event = deny_order.events.get(kind="decision", to_status="canceled")
    assert (event.actor_label, event.actor) == ("deadline", None)
    assert event.note == "Denied by deadline: Expired. No decision within 480 min of the hold."
    # As a person's denial: the marketplace had not asked to approve, so it hears of it when it asks.
    assert connector_server.codes() == ["SOI001"]
    assert sweep(django_capture_on_commit_callbacks) == 0


def test_a_deadline_denial_after_the_marketplace_asked_is_notified_eoi009_expired(
    deny_order, mkp, connector_server, django_capture_on_commit_callbacks
):
    mkp.approve("123456789")
    assert sweep(django_capture_on_commit_callbacks) == 1
    denied = connector_server.wait_for(3)[2].body
    assert denied["code"] == "EOI009"
    assert denied["errors"] == [
        {
            "source": "Order Integration",
            "code": "EXPIRED",
            "description": "Denied by the seller (Expired): No decision within 480 min of the hold.",
        }
    ]


def test_approve_up_to_approves_an_order_paid_at_most_the_cap(
    shop, owner, approver, second_approver, mkp, connector_server, django_capture_on_commit_callbacks
):
    order = place_held(shop.connector, bands=bands_with(**approve_up_to(HELD)))
    mkp.approve("123456789")
    assert sweep(django_capture_on_commit_callbacks) == 1
    order.refresh_from_db()
    assert (order.status, order.marketplace_approved) == ("ready-for-handling", True)
    task = order.approval_task
    assert (task.decision, task.decided_by_deadline) == ("approved", True)
    assert order.events.get(kind="decision", to_status="ready-for-handling").actor_label == "deadline"
    approved = connector_server.wait_for(3)[2].body
    assert (approved["code"], approved["flow"]) == ("SOI002", "ApproveOrder")


def test_approve_up_to_never_approves_above_the_cap_and_says_so_once(
    shop,
    owner,
    approver,
    second_approver,
    api_client_for,
    connector_server,
    django_capture_on_commit_callbacks,
):
    order = place_held(shop.connector, bands=bands_with(**approve_up_to(HELD - 1)))
    assert sweep(django_capture_on_commit_callbacks) == 0
    order.refresh_from_db()
    assert order.status == "waiting-for-manual-authorization"
    (note,) = order.events.filter(kind="note", actor_label="deadline")
    assert note.note == (
        "The deadline passed; paid is above the cap, so the order keeps waiting for the approvers."
    )
    assert order.approval_task.deadline_at is None
    before = observed(order.account)
    assert sweep(django_capture_on_commit_callbacks, after=AFTER * 2) == 0
    assert observed(order.account) == before
    assert connector_server.codes() == ["SOI001"]
    # The approvers still decide it.
    response = api_client_for(approver).post("/api/orders/MKP-123456789/approve?an=acme", {}, format="json")
    assert response.status_code == 200, response.json()


def test_a_band_that_waits_has_no_deadline(
    shop, owner, approver, second_approver, django_capture_on_commit_callbacks
):
    order = place_held(shop.connector)
    assert order.band["onDeadline"] == "wait"
    assert order.approval_task.deadline_at is None
    assert sweep(django_capture_on_commit_callbacks, after=timedelta(days=365)) == 0
    order.refresh_from_db()
    assert order.status == "waiting-for-manual-authorization"


def test_an_order_held_by_a_band_stored_before_deadlines_keeps_waiting(
    deny_order, django_capture_on_commit_callbacks
):
    """A band without the deadline's keys (held before deadlines existed) means "wait"."""
    old_band = {key: value for key, value in deny_order.band.items() if key not in Band.DEADLINE_KEYS}
    Order.objects.filter(pk=deny_order.pk).update(band=old_band)
    assert Band.from_dict(old_band).on_deadline == OnDeadline.WAIT
    assert sweep(django_capture_on_commit_callbacks) == 0
    deny_order.refresh_from_db()
    assert deny_order.status == "waiting-for-manual-authorization"
    assert deny_order.approval_task.deadline_at is None
    assert not deny_order.events.filter(actor_label="deadline").exists()


def test_a_person_decision_before_the_sweep_leaves_the_deadline_nothing(
    deny_order, approver, api_client_for, django_capture_on_commit_callbacks
):
    response = api_client_for(approver).post("/api/orders/MKP-123456789/approve?an=acme", {}, format="json")
    assert response.status_code == 200
    assert sweep(django_capture_on_commit_callbacks) == 0
    deny_order.refresh_from_db()
    assert deny_order.status == "payment-pending"


def test_a_person_deciding_after_the_deadline_hears_it_was_decided(
    deny_order, approver, api_client_for, django_capture_on_commit_callbacks
):
    sweep(django_capture_on_commit_callbacks)
    response = api_client_for(approver).post("/api/orders/MKP-123456789/approve?an=acme", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["message"].startswith("Order MKP-123456789 was already denied by the deadline at ")
    assert (body["decision"], body["decidedBy"]) == ("denied", "deadline")


def test_people_may_not_deny_as_expired(deny_order, approver, api_client_for):
    response = api_client_for(approver).post(
        "/api/orders/MKP-123456789/deny?an=acme", {"reasonCode": "expired", "note": "late"}, format="json"
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["reasonCode"]


def test_after_the_reservation_ran_out_the_deadline_approves_and_reserves_again(
    shop, owner, approver, second_approver, django_capture_on_commit_callbacks
):
    order = place_held(shop.connector, bands=bands_with(**approve_up_to(HELD)))
    reservations_expire(now=timezone.now() + timedelta(days=2))
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 0
    assert sweep(django_capture_on_commit_callbacks, after=timedelta(days=2)) == 1
    order.refresh_from_db()
    shop.stock.refresh_from_db()
    assert (order.status, shop.stock.reserved, order.reservation_expired) == ("payment-pending", 1, False)


def test_after_the_reservation_ran_out_a_deadline_denial_gives_nothing_back_twice(
    deny_order, shop, django_capture_on_commit_callbacks
):
    reservations_expire(now=timezone.now() + timedelta(days=2))
    assert sweep(django_capture_on_commit_callbacks, after=timedelta(days=2)) == 1
    shop.stock.refresh_from_db()
    deny_order.refresh_from_db()
    assert (deny_order.status, shop.stock.reserved) == ("canceled", 0)


def test_the_beat_task_runs_the_sweep(deny_order, django_capture_on_commit_callbacks):
    ApprovalTask.objects.filter(order=deny_order).update(deadline_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert decide_at_deadlines() == 1
    deny_order.refresh_from_db()
    assert deny_order.status == "canceled"


@pytest.mark.django_db(transaction=True)
def test_a_person_and_the_deadline_at_the_same_moment_make_one_decision(
    shop, owner, approver, second_approver, api_client_for
):
    from tests.worker import require_services

    require_services()
    order = place_held(shop.connector, bands=bands_with(**DENY))
    ApprovalTask.objects.filter(order=order).update(deadline_at=timezone.now() - timedelta(seconds=1))
    client = api_client_for(approver)
    person, deadline = at_once(
        [
            lambda: client.post("/api/orders/MKP-123456789/approve?an=acme", {}, format="json"),
            lambda: deadline_decide(order_id=order.pk),
        ]
    )
    order.refresh_from_db()
    task = order.approval_task
    if person.status_code == 200:
        assert (deadline, order.status, task.decided_by_deadline) == (None, "payment-pending", False)
    else:
        assert person.status_code == 409
        assert (str(deadline), order.status, task.decided_by_deadline) == ("deny", "canceled", True)
    assert order.events.filter(kind="decision", from_status="waiting-for-manual-authorization").count() == 1


# The order page


# A time as the page writes it in English: "7:05 a.m.", "3 p.m.", "noon".
WHEN = r"\d\d/\d\d/\d{4} (\d+(:\d\d)? [ap]\.m\.|noon|midnight)"


def order_page(client, order) -> str:
    return page_at(client, f"/admin/orders/order/{order.pk}/change/")


def test_the_order_page_says_when_the_deadline_comes_and_what_it_does(client, viewer, deny_order):
    client.force_login(viewer)
    task = section(order_page(client, deny_order), "order-approval-task")
    assert re.search(rf"Deadline {WHEN}: denied as expired 480 min after the hold\.", task)


def test_the_order_page_says_a_passed_deadline_left_the_order_to_the_approvers(
    client, viewer, shop, owner, approver, second_approver, django_capture_on_commit_callbacks
):
    order = place_held(shop.connector, bands=bands_with(**approve_up_to(2000)))
    sweep(django_capture_on_commit_callbacks)
    client.force_login(viewer)
    shown = order_page(client, order)
    assert (
        "Deadline Passed without deciding (approved 480 min after the hold if paid is at most R$20.00, "
        "else kept waiting): the order waits for the approvers." in section(shown, "order-approval-task")
    )
    assert (
        "The deadline passed: paid R$25.71 is above the cap of R$20.00, so the order keeps waiting for the "
        "approvers." in section(shown, "order-events")
    )


def test_the_order_page_says_the_deadline_decided(
    client, viewer, deny_order, django_capture_on_commit_callbacks
):
    sweep(django_capture_on_commit_callbacks)
    client.force_login(viewer)
    shown = order_page(client, deny_order)
    assert re.search(
        rf"Decision Denied by the deadline at {WHEN}: Expired", section(shown, "order-approval-task")
    )
    assert "Denied at the deadline: expired, no decision within 480 min of the hold." in section(
        shown, "order-events"
    )


def test_an_order_canceled_while_held_is_left_alone_by_its_deadline(
    deny_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=deny_order, actor=SYSTEM, reason="The marketplace canceled it.")
    assert sweep(django_capture_on_commit_callbacks) == 0
    task = ApprovalTask.objects.get(order=deny_order)
    assert (task.decision, task.deadline_at) == ("", None)
    assert not deny_order.events.filter(actor_label="deadline").exists()
