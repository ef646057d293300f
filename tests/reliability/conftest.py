import pytest

from accounts.services import token_issue
from tests.factories import OrderFactory
from tests.support.clients import token_header
from tests.support.endpoints import Endpoint
from tests.worker import require_services


@pytest.fixture
def _postgresql():
    """Real PostgreSQL (and Redis) under the test: races and lock waits mean nothing on another
    database. Without them the test is skipped, or fails under bin/test."""
    require_services()


@pytest.fixture
def send(mkp, shop, owner, connector_server):
    """Send a raw body to an endpoint with working credentials; one order exists, MKP-123456789."""
    OrderFactory(connector=shop.connector, marketplace_order_id="123456789")
    seller = token_header(token_issue(user=owner))

    def send(endpoint: Endpoint, raw, content_type="application/json"):
        headers = seller if endpoint.seller else mkp.headers()
        with mkp.capture(execute=True):
            return getattr(mkp.client, endpoint.method)(
                endpoint.url, data=raw, content_type=content_type, **headers
            )

    return send
