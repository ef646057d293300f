"""A burst of held orders, with a real worker and beat: the approvers get a handful of digests, not
an e-mail an order, and every order is in exactly one of its approver's digests.

The worker writes its e-mails to files (`digest_settings`), which the test reads and counts; the
interval is one minute (APPROVAL_EMAIL_INTERVAL_MINUTES, given to the worker), so that the test
sees the digest after the first one without waiting ten.
"""

import email
import email.policy
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from authorization.models import ApprovalNotice
from connectors import contract
from orders.intake.receive import intake_receive
from orders.models import Order
from tests.factories import band
from tests.orders.payloads import order_body
from tests.support.orders import ANA, BO, WAITING, rule_set
from tests.worker import require_services, start_worker, stop_worker

pytestmark = pytest.mark.real_worker

ORDERS = 1000
FIFTEEN, TWENTY_FIVE = 2571, 2269  # held for Ana then Bo, and for Bo then Ana
INTERVAL_MINUTES = 1


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def lane_worker(_migrated_rows_restored, worker_queues, mail_dir):
    require_services()
    process = start_worker(
        queues=worker_queues,
        DJANGO_SETTINGS_MODULE="tests.worker_lane.digest_settings",
        TEST_MAIL_DIR=mail_dir,
        APPROVAL_EMAIL_INTERVAL_MINUTES=INTERVAL_MINUTES,
    )
    yield process
    stop_worker(process)


def emails_written(folder: Path) -> list[email.message.EmailMessage]:
    """Every e-mail the worker's file backend wrote: each file holds a connection's messages,
    each followed by a line of 79 dashes."""
    found = []
    for path in sorted(folder.iterdir()):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                found.append(email.message_from_bytes(raw, policy=email.policy.default))
    return found


def wait_until(condition, *, timeout: float, what: str) -> float:
    """Wait for `condition()`; return how long it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what} within {timeout:.0f} s"
        time.sleep(0.5)
    return time.monotonic() - started


def test_a_thousand_orders_held_in_a_minute_for_two_approvers_send_a_handful_of_emails(
    worker_shop, owner, approver, second_approver, mail_dir, connector_server
):
    worker_shop.stock.quantity = ORDERS * 2
    worker_shop.stock.save()
    rule_set(
        worker_shop.account,
        [
            band(0, 10, "authorize"),
            band(10, 20, "manual", [ANA, BO]),
            band(20, 30, "manual", [BO, ANA]),
            band(30, 100, "deny"),
        ],
    )
    started = time.monotonic()
    for number in range(ORDERS):
        body = order_body(
            marketplaceOrderId=f"B{number:04}", marketplacePaymentValue=FIFTEEN if number % 2 else TWENTY_FIVE
        )
        intake_receive(
            connector=worker_shop.connector,
            flow=contract.PLACE_ORDER,
            body=body,
            body_digest=contract.body_digest(body),
        )
    held = wait_until(
        lambda: Order.objects.filter(status=WAITING).count() == ORDERS, timeout=120, what="every order held"
    )
    held_after = time.monotonic() - started
    assert held_after <= 60, f"the {ORDERS} orders were held {held_after:.0f} s after the first was posted"
    wait_until(
        lambda: ApprovalNotice.objects.filter(sent_at__isnull=False).count() == ORDERS,
        timeout=60 * INTERVAL_MINUTES * 3,
        what="every order in a digest",
    )
    time.sleep(5)  # a duplicate would show meanwhile
    written = emails_written(mail_dir)
    print(
        f"{ORDERS} orders held in {held_after:.0f} s ({held:.0f} s after the last was posted): {len(written)} e-mails"
    )

    # At once for each approver, then one an interval for what came meanwhile: a handful.
    assert len(written) <= 6, [(m["To"], m["Subject"]) for m in written]
    listed = Counter()
    for message in written:
        count = int(re.match(r"(\d+) orders? waits? for your authorization", message["Subject"]).group(1))
        listed[message["To"]] += count
        assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    assert listed == {ANA: ORDERS // 2, BO: ORDERS // 2}  # each order in one digest, none twice
    assert ApprovalNotice.objects.count() == ORDERS
