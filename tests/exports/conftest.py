import csv
import io

import pytest

from accounts.roles import Role
from tests.factories import OrderFactory, member
from tests.insight.conftest import ANA, BO, PLACED, placed, rule  # noqa: F401 (fixtures)
from tests.orders.payloads import order_body
from tests.support.orders import place, place_held
from tests.support.shop import make_shop

ORDERS = "/admin/orders/order/"
DECISIONS = "/admin/insight/decisionrecord/"
QUEUE = "/admin/orders/waitingorder/"


def read_csv(content: bytes | str) -> tuple[list[str], list[dict]]:
    """Return (header, rows as dicts) of a CSV file."""
    text = content.decode() if isinstance(content, bytes) else content
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, [dict(zip(header, line, strict=True)) for line in reader]


def downloaded(response) -> tuple[list[str], list[dict]]:
    """Read a CSV answer, streamed or sent as a file."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    return read_csv(b"".join(response.streaming_content))


GLOBEX_APPROVER = "ana@globex.example"


@pytest.fixture
def globex_orders(placed, other_account, other_server):  # noqa: F811 (the fixture imported above)
    """acme's five orders placed in globex too, by its own connector (GLX) and decided by its own
    rule (`held_bands`, for its own approver; the held M1 first, as placing it sets the rule):
    orders and decision records no acme member may ever export. Returns the four orders (D1 is
    denied: a decision without an order)."""
    shop = make_shop(other_account, other_server.url, name="Globex market", affiliate_id="GLX")
    owner = member(other_account, Role.OWNER, "owner@globex.example")
    member(other_account, Role.APPROVER, GLOBEX_APPROVER)
    paid = {marketplace_order_id: value for marketplace_order_id, value, _ in PLACED}
    held = place_held(shop.connector, approvers=(GLOBEX_APPROVER,), actor=owner, marketplaceOrderId="M1")
    decided = [
        OrderFactory(
            connector=shop.connector,
            marketplace_order_id=marketplace_order_id,
            paid=paid[marketplace_order_id],
        )
        for marketplace_order_id in ("N1", "N2", "A1")
    ]
    place(shop.connector, order_body(marketplaceOrderId="D1", marketplacePaymentValue=paid["D1"]))
    return [held, *decided]
