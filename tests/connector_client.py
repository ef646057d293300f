"""A connector calling the order integration API, for tests."""

import json

from tests.support.clients import connector_headers


class ConnectorClient:
    """A connector calling the order integration API; tasks run as the transaction commits."""

    def __init__(self, client, credentials, capture):
        self.client, self.credentials, self.capture = client, credentials, capture

    def headers(self):
        return connector_headers(self.credentials)

    def place(self, body, an="acme", raw=None, content_type="application/json", **extra):
        with self.capture(execute=True):
            return self.client.post(
                f"/api/order-integration/orders?an={an}&affiliateId=MKP",
                data=raw if raw is not None else json.dumps(body),
                content_type=content_type,
                **{**self.headers(), **extra},
            )

    def approve(self, marketplace_order_id, an="acme", status="approved"):
        with self.capture(execute=True):
            return self.client.put(
                f"/api/order-integration/orders/status?an={an}",
                data=json.dumps(
                    {"marketplaceOrderId": marketplace_order_id, "marketplaceOrderStatus": status}
                ),
                content_type="application/json",
                **self.headers(),
            )
