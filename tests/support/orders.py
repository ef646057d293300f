"""Orders as a connector's POST makes them: through the intake service, decided by the account's rule.

`place` is the order API's path without HTTP: the body is checked against the contract, received by
`orders.intake.receive.intake_receive`, and the work its commit queues (processing, the notification,
the approver's e-mail) is run: inline under eager tasks (the `shop` fixture), by the worker
otherwise (`worker_shop`, whose test commits; the builder waits for it). So every order comes with
the decision record, events, stock reservation and approval task the real path gives it.
"""

import time

from django.test import TestCase

from accounts.models import Membership
from accounts.roles import Role
from authorization.decision import Band
from authorization.services import rule_replace
from connectors import contract
from orders.intake.receive import intake_receive
from orders.models import IntakeRecord, Order
from orders.statuses import IntakeStatus, OrderStatus
from tests.factories import band
from tests.orders.payloads import order_body

ANA, BO = "ana@acme.example", "bo@acme.example"
HELD = 2571  # 15.01 % below the 3025 the example seller expects: the manual band of `held_bands`
WAITING = OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION


def held_bands(approvers=(ANA, BO), *, escalate_after_minutes: int = 240) -> list[Band]:
    """The rule most tests hold by: authorize up to 10 %, hold from 10 to 20 % for `approvers`, deny above."""
    return [
        band(0, 10, "authorize"),
        band(10, 20, "manual", approvers, escalate_after_minutes),
        band(20, 100, "deny"),
    ]


def rule_set(account, bands: list[Band], *, actor=None) -> None:
    """Make `bands` the account's rule, by `actor` or else its first Owner."""
    if actor is None:
        owner = Membership.objects.filter(account=account, role=Role.OWNER).order_by("pk").first()
        assert owner is not None, f"{account} has no Owner to change its rule: pass actor="
        actor = owner.user
    with TestCase.captureOnCommitCallbacks(execute=True):  # as the request saving it commits
        rule_replace(account=account, bands=bands, actor=actor)


def place(connector, body: dict, *, timeout: float = 30.0) -> IntakeRecord:
    """Receive `body` from `connector` as the order API does, and run the work its commit queues."""
    problems = contract.check_place_order(body)
    assert not problems, [problem.message for problem in problems]
    with TestCase.captureOnCommitCallbacks(execute=True):
        intake, _ = intake_receive(
            connector=connector,
            flow=contract.PLACE_ORDER,
            body=body,
            body_digest=contract.body_digest(body),
        )
    deadline = time.monotonic() + timeout
    intake.refresh_from_db()
    while intake.status in (IntakeStatus.RECEIVED, IntakeStatus.PROCESSING):  # a worker has it
        assert time.monotonic() < deadline, f"no worker processed {intake.marketplace_order_id}"
        time.sleep(0.05)
        intake.refresh_from_db()
    return intake


def placed_order(connector, body: dict) -> Order:
    """`place` the body; return the order it made (failing with the submission's errors if none)."""
    intake = place(connector, body)
    assert intake.order_id is not None, (intake.status, intake.code, intake.errors, intake.last_error)
    return Order.objects.get(pk=intake.order_id)


def place_held(
    connector,
    *,
    approvers=(ANA, BO),
    bands: list[Band] | None = None,
    escalate_after_minutes: int = 240,
    paid: int = HELD,
    status: str = "new",
    actor=None,
    **changes,
) -> Order:
    """An order of `connector`'s account held for manual authorization, as the connector places it.

    The account's rule becomes `bands` (by default `held_bands(approvers)`); the approvers must be
    members who may decide. `paid`, `status` (the marketplace's: new or approved) and `changes`
    (see `order_body`) shape the example order.
    """
    rule_set(
        connector.account,
        bands or held_bands(approvers, escalate_after_minutes=escalate_after_minutes),
        actor=actor,
    )
    body = order_body(marketplacePaymentValue=paid, marketplaceOrderStatus=status, **changes)
    order = placed_order(connector, body)
    assert order.status == WAITING, (order.status, order.outcome, str(order.divergence_percent))
    return order


BO_ALONE = 2269  # 25.01 % below the seller's 3025: the band of Bo alone in `place_in_turn`


def place_in_turn(connector, paid: dict[str, int]) -> dict[str, Order]:
    """Orders held one after another, by marketplace order id: paid `HELD`, for Ana and Bo; paid
    `BO_ALONE`, for Bo alone."""
    rule_set(
        connector.account,
        [band(0, 10, "authorize"), band(10, 20, "manual", [ANA, BO]), band(20, 100, "manual", [BO])],
    )
    return {
        name: placed_order(connector, order_body(marketplaceOrderId=name, marketplacePaymentValue=value))
        for name, value in paid.items()
    }


def receive(shop, kick=None, **fields) -> IntakeRecord:
    """Store a submission as the order API does, without running what its commit would queue
    (`kick`: the request's look at the waiting batch, as the order API sends it)."""
    body = order_body(**fields)
    intake, _ = intake_receive(
        connector=shop.connector,
        flow=contract.PLACE_ORDER,
        body=body,
        body_digest=contract.body_digest(body),
        kick=kick,
    )
    return intake


def outcome(marketplace_order_id: str) -> tuple:
    """What the connector and the seller see of a submission: its code, and its order's status."""
    intakes = IntakeRecord.objects.filter(marketplace_order_id=marketplace_order_id).order_by("pk")
    return tuple(
        (intake.status, intake.code, intake.order.status if intake.order else None) for intake in intakes
    )
