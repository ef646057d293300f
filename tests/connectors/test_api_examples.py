"""The examples of /api/docs and /api/redoc: every connector operation has them, and they are true.

A connector developer copies them: each must fit its operation's schema, the order examples
must pass the contract's own check and be taken by the app, and the answer documented for them
must be the one the app gives.
"""

import json

import pytest
from django.test import Client
from jsonschema import Draft7Validator

from connectors import contract
from tests.reliability.shapes import error_shape_problems, family
from tests.support.clients import connector_headers
from tests.support.openapi import json_schema
from tests.support.orders import place_held

PLACE_ORDER = "POST /api/order-integration/orders"
UPDATE_STATUS = "PUT /api/order-integration/orders/status"
SELLER_ORDER_READ = "GET /api/orders/{main_order_id}"
# Answers every operation may give that kit.openapi documents after the views, in their schema only.
ADDED_AFTER = {"413", "415", "500", "503"}


@pytest.fixture(scope="module")
def document(django_db_blocker):
    with django_db_blocker.unblock():
        return json.loads(Client().get("/api/schema", {"format": "json"}).content)


def operations(document) -> dict[str, dict]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def connector_operations(document) -> dict[str, dict]:
    return {
        label: op for label, op in operations(document).items() if family(label.split(" ", 1)[1]) != "seller"
    }


def request_examples(operation) -> list:
    return [
        example["value"]
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for example in media.get("examples", {}).values()
    ]


def answer_examples(operation, status: str) -> list:
    return [
        example["value"]
        for media in operation["responses"][status].get("content", {}).values()
        for example in media.get("examples", {}).values()
    ]


def test_every_connector_operation_has_request_and_answer_examples(document):
    found = connector_operations(document)
    assert len(found) == 16  # order integration 2, previous protocol 3, OMS 3, feed 5, hook 3
    missing = []
    for label, operation in found.items():
        if "requestBody" in operation and not request_examples(operation):
            missing.append(f"{label}: request")
        for status, response in operation["responses"].items():
            if "content" in response and status not in ADDED_AFTER and not answer_examples(operation, status):
                missing.append(f"{label}: {status}")
        successes = {
            status: response for status, response in operation["responses"].items() if status < "300"
        }
        answered = any("content" in response for response in successes.values())
        if answered and not any(answer_examples(operation, status) for status in successes):
            missing.append(f"{label}: success")
    assert missing == []


def test_every_example_fits_its_schema(document):
    problems = []
    chosen = {**connector_operations(document), SELLER_ORDER_READ: operations(document)[SELLER_ORDER_READ]}
    for label, operation in chosen.items():
        bodies = [("request", operation.get("requestBody", {})), *operation["responses"].items()]
        for where, body in bodies:
            for media in body.get("content", {}).values():
                validator = Draft7Validator(json_schema(media["schema"], document))
                for name, example in media.get("examples", {}).items():
                    problems += [
                        f"{label} {where} {name}: {error.message}"
                        for error in validator.iter_errors(example["value"])
                    ]
    assert problems == []


def test_every_place_order_example_passes_the_contracts_check_and_is_enqueued_as_documented(document, mkp):
    operation = operations(document)[PLACE_ORDER]
    [enqueued] = answer_examples(operation, "200")
    examples = request_examples(operation)
    assert len(examples) >= 2
    for body in examples:
        assert contract.check_place_order(body) == []
        response = mkp.place(body)
        assert response.status_code == 200, response.json()
        assert response.json() == enqueued


def test_the_approval_example_is_enqueued_as_documented(document, mkp):
    operation = operations(document)[UPDATE_STATUS]
    [enqueued] = answer_examples(operation, "200")
    [body] = request_examples(operation)
    assert contract.check_update_status(body) == []
    response = mkp.client.put(
        "/api/order-integration/orders/status?an=acme",
        data=json.dumps(body),
        content_type="application/json",
        **mkp.headers(),
    )
    assert response.status_code == 200, response.json()
    assert response.json() == enqueued


def test_the_seller_apis_order_example_shows_its_currency_and_its_divergence_explained(document):
    [order] = answer_examples(operations(document)[SELLER_ORDER_READ], "200")
    assert order["currency"] == "BRL"
    explained = order["divergenceExplained"]
    assert explained["differenceCents"] == order["sellerValue"] - order["paidValue"]
    assert sum(component["cents"] for component in explained["components"]) == explained["differenceCents"]
    assert explained["causes"]


def test_every_error_example_has_its_apis_error_body(document):
    problems = []
    for label, operation in connector_operations(document).items():
        for status in operation["responses"]:
            if status >= "400":
                for value in answer_examples(operation, status):
                    problems += [
                        f"{label} {status}: {p}"
                        for p in error_shape_problems(label.split(" ", 1)[1], "application/json", value)
                    ]
    assert problems == []


def call(client, label: str, headers: dict, query: str):
    method, path = label.split(" ", 1)
    url = path.replace("{order_id}", "MKP-404") + query
    body = {"data": "{}", "content_type": "application/json"} if method in ("POST", "PUT") else {}
    return getattr(client, method.lower())(url, **body, **headers)


@pytest.mark.parametrize(
    ("status", "credentials", "query"),
    [("401", "unknown", ""), ("403", "the connector's", "?an=other-account&affiliateId=MKP")],
)
def test_the_credential_refusals_documented_are_the_apps(document, client, shop, status, credentials, query):
    headers = connector_headers(shop.credentials)
    if credentials == "unknown":
        headers["HTTP_X_VTEX_API_APPTOKEN"] = "not-the-token"
    for label, operation in connector_operations(document).items():
        [documented] = answer_examples(operation, status)
        response = call(client, label, headers, query)
        assert (response.status_code, response.json()) == (int(status), documented), label


def keys_of(value):
    """The shape of a JSON value: its objects' keys, all the way down (a list by its first entry)."""
    if isinstance(value, dict):
        return {key: keys_of(entry) for key, entry in value.items()}
    if isinstance(value, list):
        return [keys_of(value[0])] if value else []
    return None


def test_the_oms_order_example_has_the_shape_of_the_apps_answer(
    document, client, shop, owner, approver, second_approver
):
    [documented] = answer_examples(operations(document)["GET /api/oms/pvt/orders/{order_id}"], "200")
    held = place_held(shop.connector)
    response = client.get(f"/api/oms/pvt/orders/{held.main_order_id}", **connector_headers(shop.credentials))
    assert response.status_code == 200
    assert keys_of(documented) == keys_of(response.json())
    assert (
        documented["priceDivergence"]["outcome"] == response.json()["priceDivergence"]["outcome"] == "manual"
    )
