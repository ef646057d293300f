import pytest

from authorization.services import rule_replace
from tests.factories import band
from tests.orders.payloads import order_body

ANA, BO = "ana@acme.example", "bo@acme.example"
DASHBOARD = "/admin/insight/dashboard/"

# Through the real flow: the seller expects 3025 for the example order.
PLACED = (  # marketplace order id, paid, what the rule below does
    ("N1", 3025, "no divergence"),
    ("N2", 3025, "no divergence"),
    ("A1", 2950, "2.48 %: authorized"),
    ("M1", 2571, "15.01 %: held for ana, then bo"),
    ("D1", 2000, "33.88 %: denied"),
)


def bands_of_the_rule():
    return [band(0, 5, "authorize"), band(5, 20, "manual", [ANA, BO]), band(20, 100, "deny")]


@pytest.fixture
def rule(shop, owner, approver, second_approver):
    return rule_replace(account=shop.account, bands=bands_of_the_rule(), actor=owner)[0]


@pytest.fixture
def placed(mkp, rule):
    """Five orders placed by the connector and decided by the rule."""
    for marketplace_order_id, paid, _ in PLACED:
        mkp.place(order_body(marketplaceOrderId=marketplace_order_id, marketplacePaymentValue=paid))
