"""While the database cannot be reached, every request answers 503 with Retry-After, never a 500 page.

Each API answers in its own error body (the contract's EOI006 for connectors), so a client
sends the request again later; nothing is kept. The admin's pages answer a plain 503 page.
The fault tests (`tests/faults/`) restart a real PostgreSQL under load; here every query fails
as it does while PostgreSQL restarts.
"""

from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

from connector_api.authentication import forget_accepted
from tests.reliability.shapes import problems_of
from tests.support.endpoints import ENDPOINTS
from tests.support.observe import observed

REFUSED = OperationalError(
    'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused'
)


@contextmanager
def database_down():
    with (
        mock.patch.object(CursorWrapper, "execute", side_effect=REFUSED),
        mock.patch.object(CursorWrapper, "executemany", side_effect=REFUSED),
    ):
        yield


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_every_api_answers_503_with_retry_after_in_its_own_body(send, endpoint):
    before = observed()
    # As a process that has not accepted the connector's credentials yet, and must read them: one
    # that has answers a body the contract refuses (as "{}" is) with 400, the database unneeded.
    forget_accepted()
    with database_down():
        response = send(endpoint, "{}")
    assert response.status_code == 503, response.content[:500]
    assert response["Retry-After"] == "5"
    assert problems_of(endpoint.path, response) == []
    assert "send the request again in 5 seconds" in response.content.decode()
    assert observed() == before


def test_a_connector_placing_an_order_is_told_eoi006_and_to_send_it_again(mkp, shop):
    with database_down():
        response = mkp.client.post(
            "/api/order-integration/orders?an=acme",
            data="{}",
            content_type="application/json",
            **mkp.headers(),
        )
    body = response.json()
    assert (response.status_code, body["code"], body["flow"], body["success"]) == (
        503,
        "EOI006",
        "PlaceOrder",
        False,
    )
    assert body["errors"][0]["code"] == "EOI006"


def test_a_read_of_the_seller_api_answers_503(owner, api_client_for):
    client = api_client_for(owner)
    with database_down():
        response = client.get("/api/orders?an=acme")
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response.json()["code"] == "unavailable"


def test_an_admin_page_answers_a_plain_503_page(owner):
    browser = Client(raise_request_exception=False)
    browser.force_login(owner)
    with database_down():
        response = browser.get("/admin/")
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert "Briefly unavailable" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_any_other_failure_of_a_page_is_still_a_500(owner):
    browser = Client(raise_request_exception=False)
    browser.force_login(owner)
    with mock.patch("django.contrib.admin.sites.AdminSite.each_context", side_effect=RuntimeError("bug")):
        response = browser.get("/admin/")
    assert response.status_code == 500


def test_the_openapi_document_says_every_authenticated_operation_can_answer_503(client):
    document = client.get("/api/schema?format=json").json()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "401" in operation.get("responses", {})
    ]
    assert operations
    assert [
        (path, method) for path, method, operation in operations if "503" not in operation["responses"]
    ] == []
