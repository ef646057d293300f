"""Hostile input on every operation of the OpenAPI document: never a 500, always the API's own 4xx, nothing kept.

What schemathesis does not generate: `NaN` and `Infinity` in every numeric body field, integers
written with a fraction or an exponent, numbers past every column, bodies that are not JSON in
UTF-8 or not sent as `application/json`, and in every query parameter impossible and
out-of-range dates (year 0, 10000, February 30, hour 25) and enormous page numbers and offsets.
The operations and their fields come from `/api/schema`, so a new operation is covered as it
is added. The reproductions of what an outside test found keep their own names below.
"""

import base64
import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from accounts.services import token_issue
from authorization.services import rule_replace
from kit.text import json_path
from orders.models import IntakeRecord, Order, OrderEvent
from tests.factories import OrderFactory, band
from tests.orders.payloads import order_body, seed_order
from tests.reliability.shapes import family, problems_of
from tests.support.clients import token_header
from tests.support.observe import observed
from tests.support.orders import place_held

SCHEMA = json.loads(Client().get("/api/schema", {"format": "json"}).content)
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
]
WITH_BODY = [op for op in OPERATIONS if "application/json" in op[2].get("requestBody", {}).get("content", {})]
# A member of the account for the absences of one named member (`/api/absences/{email}`).
REAL_IDS = {"order_id": "MKP-123456789", "main_order_id": "MKP-held", "email": "owner@acme.example"}
HOSTILE = "__hostile__"  # a placeholder the raw token replaces, since json.dumps writes no 1e400


def name(op) -> str:
    return op[2]["operationId"]


# Schemas


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:  # the first alternative: an object before an array of one
            return resolve({**schema[key][0], **{k: v for k, v in schema.items() if k != key}})
    return schema


def kind(schema: dict) -> str | None:
    types = schema.get("type")
    types = [types] if isinstance(types, str) else (types or [])
    if "properties" in schema and "object" not in types:
        types.append("object")
    return next((name for name in types if name != "null"), None)


def numeric_fields(schema: dict, parts: tuple = (), depth: int = 0):
    """Yield (path parts, "integer" or "number") for every number a body of `schema` can hold."""
    schema = resolve(schema)
    found = kind(schema)
    if depth > 12:
        return
    if found in ("integer", "number"):
        yield parts, found
    elif found == "object":
        for key, child in schema.get("properties", {}).items():
            yield from numeric_fields(child, (*parts, key), depth + 1)
        if isinstance(schema.get("additionalProperties"), dict):
            yield from numeric_fields(schema["additionalProperties"], (*parts, "x1"), depth + 1)
    elif found == "array" and "items" in schema:
        yield from numeric_fields(schema["items"], (*parts, 0), depth + 1)


def skeleton(schema: dict):
    """The smallest body the schema describes: its required fields, each with a plain value."""
    schema = resolve(schema)
    if "enum" in schema:
        return next((value for value in schema["enum"] if value is not None), None)
    found = kind(schema)
    if found == "object":
        properties = schema.get("properties", {})
        return {key: skeleton(properties.get(key, {})) for key in schema.get("required", [])}
    if found == "array":
        return [skeleton(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if found in ("integer", "number"):
        return min(max(1, schema.get("minimum", 1)), schema.get("maximum", 1))
    if found == "boolean":
        return False
    if found == "string":
        return "1" * max(1, schema.get("minLength", 1))
    return None


def with_value(schema: dict, parts: tuple, value):
    """The skeleton body, with `value` at `parts` and whatever holds it."""
    body = skeleton(schema)
    holder, node = None, body
    for part in parts:
        schema = resolve(schema)
        schema = (
            schema.get("items", {})
            if isinstance(part, int)
            else schema.get("properties", {}).get(part, schema.get("additionalProperties") or {})
        )
        if isinstance(part, int):
            while len(node) <= part:
                node.append(skeleton(schema))
        elif not isinstance(node.get(part), dict | list):
            node[part] = skeleton(schema)
        holder, node = node, node[part]
    holder[parts[-1]] = value
    return body


def body_schema(op) -> dict:
    return op[2]["requestBody"]["content"]["application/json"]["schema"]


def hostile_bodies(op, tokens_by_kind: dict[str, list[str]]):
    """Yield (field path, raw body) with each token at each numeric field of its kind."""
    schema = body_schema(op)
    fields = list(numeric_fields(schema))
    # A number where no field takes one: the parser refuses it, naming where it is, before any check.
    top = resolve(schema)
    fields.append(((0, "unexpectedNumber") if kind(top) == "array" else ("unexpectedNumber",), "number"))
    for parts, found in fields:
        for token in tokens_by_kind.get(found, []):
            raw = json.dumps(with_value(schema, parts, HOSTILE)).replace(json.dumps(HOSTILE), token)
            yield json_path(parts), raw


# Calls


@pytest.fixture
def api(mkp, shop, owner):
    """Call any operation with working credentials, at the account's two orders (one of them held)."""
    place_held(
        shop.connector,
        bands=[band(0, 10, "authorize"), band(10, 100, "manual", ["owner@acme.example"])],
        marketplaceOrderId="held",
    )
    OrderFactory(connector=shop.connector, marketplace_order_id="123456789")
    seller = token_header(token_issue(user=owner))

    def call(op, *, raw=None, query=None, content_type="application/json", **headers):
        method, path, _ = op
        for parameter, real in REAL_IDS.items():
            path = path.replace("{" + parameter + "}", real)
        connector = family(path) != "seller"
        params = {"an": "acme", **({"affiliateId": "MKP"} if connector else {}), **(query or {})}
        with mkp.capture(execute=True):
            return mkp.client.generic(
                method,
                f"{path}?{urlencode(params)}",
                raw if raw is not None else b"",
                content_type=content_type,
                **(mkp.headers() if connector else seller),
                **headers,
            )

    return call


def assert_refused(op, response, status: int, *names: str) -> None:
    """The refusal, in its API's error body, naming each of `names`."""
    assert response.status_code == status, (name(op), response.status_code, response.content[:800])
    assert problems_of(op[1], response) == [], response.content[:800]
    text = response.content.decode()
    for field in names:
        assert field in text, (name(op), field, text[:800])


NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"]


@pytest.mark.parametrize("op", WITH_BODY, ids=name)
def test_non_finite_numbers_are_refused_naming_the_field(api, op):
    before = observed()
    for field, raw in hostile_bodies(op, {"integer": NON_FINITE, "number": NON_FINITE}):
        response = api(op, raw=raw)
        assert_refused(op, response, 400, f"{field} must be a finite number")
    assert observed() == before


@pytest.mark.parametrize("op", WITH_BODY, ids=name)
def test_integers_written_with_a_fraction_or_an_exponent_are_refused_naming_the_field(api, op):
    """2580.0 is an integer to JSON Schema since draft 6 and to DRF; the contract says integer."""
    before = observed()
    for field, raw in hostile_bodies(op, {"integer": ["2580.0", "2.58e3", "1E2", "2580.5"]}):
        assert_refused(op, api(op, raw=raw), 400, field)
    assert observed() == before


@pytest.mark.parametrize("op", WITH_BODY, ids=name)
def test_numbers_past_every_column_are_refused_naming_the_field(api, op):
    """A number that fits no database column (bigint, double) is a 400, never a database error."""
    before = observed()
    huge = [str(10**20), str(-(10**20)), "9" * 4000]
    for field, raw in hostile_bodies(op, {"integer": huge, "number": [*huge, "1e300", "-1e300"]}):
        if field.endswith("unexpectedNumber"):
            continue  # a finite number where none is expected may be ignored
        assert_refused(op, api(op, raw=raw), 400, field)
    assert observed() == before


CONTENT_TYPES = [
    "",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json-patch+json",
    "application/json; charset=utf-16",
    "application/json; charset=latin-1",
]


@pytest.mark.parametrize("op", WITH_BODY, ids=name)
def test_a_body_not_sent_as_json_in_utf8_answers_415(api, op):
    before = observed()
    raw = json.dumps(skeleton(body_schema(op)))
    for content_type in CONTENT_TYPES:
        assert_refused(op, api(op, raw=raw, content_type=content_type), 415)
    assert observed() == before


ENCODINGS = {
    "UTF-16 with a byte order mark": lambda text: text.encode("utf-16"),
    "UTF-16BE": lambda text: text.encode("utf-16-be"),
    "UTF-16LE": lambda text: text.encode("utf-16-le"),
    "UTF-32": lambda text: text.encode("utf-32"),
    "invalid UTF-8": lambda text: text.encode()[:-1] + b'\xff"' if text.endswith('"') else b'"\xff\xfe"',
    "UTF-8 with a byte order mark": lambda text: b"\xef\xbb\xbf" + text.encode(),
}


@pytest.mark.parametrize("op", WITH_BODY, ids=name)
def test_a_body_not_in_utf8_answers_400(api, op):
    """Python guesses UTF-16 and UTF-32 from the bytes; the contract says UTF-8."""
    before = observed()
    text = json.dumps(skeleton(body_schema(op)), ensure_ascii=False)
    for encoding, encode in ENCODINGS.items():
        response = api(op, raw=encode(text))
        assert_refused(op, response, 400)
        assert "UTF-8" in response.content.decode(), encoding  # the answer names what the body must be
    assert observed() == before


NUMBERS = ["NaN", "Infinity", "-1", "2580.0", "2.58e3", str(10**20), "99999999999999999999999999", "²", "1_0"]
DATES = [
    "0000-01-01",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "10000-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59-14:00",
    "2026-02-30",
    "2026-13-01",
    "2026-01-01T25:00:00Z",
    "2026-01-01T00:00:00+25:00",
    "1899-12-31",
]
QUERY_VALUES = [*NUMBERS, *DATES, "", "\u00e9" * 2000]


def query_parameters(op):
    return [
        parameter
        for parameter in op[2].get("parameters", [])
        if parameter["in"] == "query" and parameter["name"] not in ("an", "affiliateId")
    ]


@pytest.mark.parametrize("op", [op for op in OPERATIONS if query_parameters(op)], ids=name)
def test_hostile_query_parameters_answer_in_the_apis_own_body(api, op):
    """Every value in every parameter: never a 500; a number or date out of range is a 400 naming it."""
    before = observed()
    raw = json.dumps(skeleton(body_schema(op))) if op in WITH_BODY else None
    for parameter in query_parameters(op):
        schema = resolve(parameter.get("schema", {}))
        is_integer = kind(schema) == "integer"
        is_date = "date" in parameter.get("description", "").lower()
        for value in QUERY_VALUES:
            response = api(op, raw=raw, query={parameter["name"]: value})
            assert response.status_code < 500, (name(op), parameter["name"], value, response.content[:500])
            if 400 <= response.status_code < 500:
                assert problems_of(op[1], response) == [], response.content[:500]
            refused = (is_integer and value in (*NUMBERS, "")) or (is_date and value in DATES)
            if refused and op[0] == "GET":
                assert_refused(op, response, 400, parameter["name"])
    assert observed() == before


# The reproductions of what an outside test found


def test_nan_in_an_order_body_is_refused_naming_the_field(mkp, shop):
    """NaN in priceDivergenceAllowanceRate or the coordinates was an HTML 500 on the order API."""
    raw = json.dumps(order_body(priceDivergenceAllowanceRate=HOSTILE)).replace(json.dumps(HOSTILE), "NaN")
    response = mkp.place(None, raw=raw)
    assert response.status_code == 400
    assert response.json()["code"] == "EOI005"
    assert [error["description"] for error in response.json()["errors"]] == [
        "priceDivergenceAllowanceRate must be a finite number, not NaN"
    ]
    body = order_body()
    body["shippingData"]["selectedAddresses"][0]["geoCoordinates"]["latitude"] = HOSTILE
    response = mkp.place(None, raw=json.dumps(body).replace(json.dumps(HOSTILE), "NaN"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["description"] == (
        "shippingData.selectedAddresses[0].geoCoordinates.latitude must be a finite number, not NaN"
    )
    assert IntakeRecord.objects.count() == 0


def test_nan_on_the_previous_protocol_is_a_client_error_not_a_retry(mkp, shop):
    """It answered 500 EOI006, which tells the connector to send it again, forever."""
    simulation = {
        "items": [{"id": "1", "quantity": 1, "seller": "1"}],
        "country": "BRA",
        "postalCode": "1",
        "geoCoordinates": [HOSTILE, -25.4],
    }
    for url, body in [
        ("/api/checkout/pub/orderForms/simulation?affiliateId=MKP", simulation),
        ("/api/fulfillment/pvt/orders?affiliateId=MKP", seed_order(marketplacePaymentValue=HOSTILE)),
    ]:
        raw = json.dumps(body).replace(json.dumps(HOSTILE), "NaN")
        with mkp.capture(execute=True):
            response = mkp.client.post(url, data=raw, content_type="application/json", **mkp.headers())
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "EOI005"
        assert "must be a finite number, not NaN" in response.json()["error"]["message"]
    assert Order.objects.count() == 0
    assert IntakeRecord.objects.count() == 0


@pytest.mark.parametrize(
    "issuance_date",
    [
        "0000-01-01T00:00:00Z",
        "2026-02-30",
        "2026-01-01T25:00:00Z",
        "2026-01-01T00:00:00+25:00",
        "10000-01-01T00:00:00Z",
        "1899-12-31",
    ],
)
def test_an_impossible_invoice_date_is_refused_naming_it(mkp, shop, issuance_date):
    """A well-formed date that does not exist raised in the parser: a 500."""
    mkp.place(order_body())
    mkp.approve("123456789")
    events = OrderEvent.objects.count()
    invoice = {"type": "Output", "invoiceNumber": "1", "invoiceValue": 3025, "issuanceDate": issuance_date}
    response = mkp.client.post(
        "/api/oms/pvt/orders/MKP-123456789/invoice",
        data=json.dumps(invoice),
        content_type="application/json",
        **mkp.headers(),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "OMS001"
    assert response.json()["error"]["message"].startswith("issuanceDate: An ISO 8601 date")
    assert Order.objects.get().status == "ready-for-handling"
    assert OrderEvent.objects.count() == events


@pytest.mark.parametrize(
    "query", ["createdTo=9999-12-31", "createdFrom=0001-01-01T00:00:00%2B14:00", "createdTo=2026-02-30"]
)
def test_order_list_dates_out_of_range_answer_400_naming_them(api_client_for, owner, query):
    """createdTo=9999-12-31 overflowed when the day after it was computed (OverflowError, a 500)."""
    response = api_client_for(owner).get(f"/api/orders?an=acme&{query}")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [query.split("=")[0]]


def test_the_connector_api_takes_only_json_in_utf8_with_integers_as_integers(mkp, shop):
    """It took a missing Content-Type, a UTF-16 body, and 2580.0 where the contract says integer."""
    text = json.dumps(order_body())
    assert mkp.place(None, raw=text, content_type="").status_code == 415
    response = mkp.place(None, raw=text.encode("utf-16"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["description"] == (
        "The body must be UTF-8: it looks like UTF-16 or UTF-32"
    )
    response = mkp.place(
        None, raw=text.replace('"marketplacePaymentValue": 3025', '"marketplacePaymentValue": 3025.0')
    )
    assert response.status_code == 400
    assert [error["description"] for error in response.json()["errors"]] == [
        "marketplacePaymentValue must be a whole number (integer cents for money)"
    ]
    assert IntakeRecord.objects.count() == 0
    assert mkp.place(order_body()).status_code == 200
    assert IntakeRecord.objects.count() == 1  # the same body, sent as the contract says, is taken


def test_seller_integers_are_json_integers(api_client_for, owner, shop):
    """DRF's IntegerField took "975", 975.0 and "975.0" for a price."""
    seller = api_client_for(owner)
    for price in ["975", 975.0, "975.0", True]:
        response = seller.put(
            "/api/catalog/skus?an=acme", [{"id": "9", "name": "Hat", "price": price}], format="json"
        )
        assert response.status_code == 400, price
        assert [error["field"] for error in response.json()["errors"]] == ["[0].price"]
    assert not shop.account.skus.filter(sku_id="9").exists()


def test_a_cursor_or_page_size_out_of_range_answers_400_naming_it(api_client_for, owner, shop):
    """A cursor's position is compared with the creation time in the database; a made-up one was a 500."""
    seller = api_client_for(owner)
    for position in ["garbage", "0000-01-01 00:00:00", "2026-02-30 00:00:00"]:
        cursor = base64.b64encode(urlencode({"p": position, "o": 10**20}).encode()).decode()
        response = seller.get("/api/orders", {"an": "acme", "cursor": cursor})
        assert response.status_code == 400, position
        assert [error["field"] for error in response.json()["errors"]] == ["cursor"]
    for size in ["0", str(10**20), "abc", "2.5"]:
        response = seller.get("/api/orders", {"an": "acme", "pageSize": size})
        assert response.status_code == 400, size
        assert [error["field"] for error in response.json()["errors"]] == ["pageSize"]


def test_odd_digits_in_a_header_or_parameter_are_not_a_500(api_client_for, owner, shop, mkp):
    """`isdigit()` lets "²" by and `int()` raises on it, as on 5000 digits."""
    rule_replace(account=shop.account, bands=[band(0, 100, "authorize")], actor=owner)
    seller = api_client_for(owner)
    for tag in ['"²"', '"' + "1" * 5000 + '"']:
        response = seller.delete("/api/authorization/price-divergence-rule?an=acme", HTTP_IF_MATCH=tag)
        assert response.status_code == 412
    for maxlot in ["²", "1" * 5000]:
        response = mkp.client.get(f"/api/orders/feed?maxlot={maxlot}", **mkp.headers())
        assert (response.status_code, response.json()["error"]["code"]) == (400, "OMS001")


def test_the_walk_of_the_document_finds_the_numbers_and_dates_it_must_attack():
    """The tests above are only as good as this walk: were it to find nothing, they would pass vacuously."""
    by_name = {name(op): op for op in OPERATIONS}
    order_fields = dict(numeric_fields(body_schema(by_name["EnqueueNewOrder"])))
    assert order_fields[("priceDivergenceAllowanceRate",)] == "number"
    assert order_fields[("items", 0, "price")] == "integer"
    assert order_fields[("shippingData", "selectedAddresses", 0, "geoCoordinates", "latitude")] == "number"
    assert dict(numeric_fields(body_schema(by_name["catalog_skus_upsert"])))[(0, "price")] == "integer"
    listed = {parameter["name"]: parameter for parameter in query_parameters(by_name["orders_list"])}
    assert "date" in listed["createdTo"]["description"].lower()
    assert kind(resolve(listed["pageSize"]["schema"])) == "integer"
