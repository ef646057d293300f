import csv
import io

import pytest

from orders.models import Order
from tests.factories import connector
from tests.insight.conftest import ANA, BO, placed, rule  # noqa: F401 (fixtures)

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


@pytest.fixture
def globex_orders(placed, other_account, connector_server):  # noqa: F811 (the fixture imported above)
    """Copies of acme's orders in globex: rows no acme member may ever export."""
    theirs, _ = connector(
        other_account, endpoint=connector_server.url, name="Globex market", affiliate_id="GLX"
    )
    copies = []
    for order in Order.objects.filter(account__name="acme"):
        order.pk = None
        order.account = other_account
        order.connector = theirs
        order.main_order_id = f"GLX-{order.marketplace_order_id}"
        copies.append(order)
    return Order.objects.bulk_create(copies)
