"""The OpenAPI document: valid OpenAPI 3.0, each operation's errors documented, its patterns no stricter than the code.

Where the document states a rule as a regular expression (a hook's URL, a date), every text the
expression takes must be one the code takes: otherwise a client following the document is refused.
"""

import json
import re

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from connector_api.hook_api import HOOK_URL_PATTERN
from connectors import egress
from kit.dates import date_or_datetime
from kit.openapi import DATE_OR_DATETIME


@pytest.fixture(scope="module")
def document(django_db_blocker):
    with django_db_blocker.unblock():
        return json.loads(Client().get("/api/schema", {"format": "json"}).content)


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def schemas_of(response: dict) -> dict:
    """The body of an answer by media type: its schema, whatever its examples."""
    return {media_type: media["schema"] for media_type, media in response.get("content", {}).items()}


def test_the_document_is_valid_openapi_3_0(document):
    assert document["openapi"].startswith("3.0.")
    validate_schema(document)


def test_every_operation_documents_its_errors_in_its_api_body(document):
    missing = {}
    for label, operation in operations(document):
        expected = {"400", "401", "403", "503"} | ({"413", "415"} if "requestBody" in operation else set())
        absent = expected - set(operation["responses"])
        if absent:
            missing[label] = sorted(absent)
        body_of_401 = schemas_of(operation["responses"]["401"])
        for status in ("413", "415", "503"):
            if status in operation["responses"]:
                assert schemas_of(operation["responses"][status]) == body_of_401, (label, status)
    assert missing == {}


def test_no_schema_is_written_as_json_schema_2020_12(document):
    """OpenAPI 3.0 has no type lists and no type null: `nullable` says it."""
    text = json.dumps(document)
    assert '"type": "null"' not in text
    assert not re.search(r'"type": \[', text)


def test_a_body_that_demands_a_property_is_required(document):
    bodies = {
        label: operation["requestBody"]
        for label, operation in operations(document)
        if "requestBody" in operation
    }
    assert bodies["POST /api/orders/feed"].get("required") is True
    assert bodies["POST /api/orders/hook/config"].get("required") is True
    assert bodies["POST /api/order-integration/orders"].get("required") is True
    assert not bodies["POST /api/orders/feed/config"].get("required")


@examples(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=st.from_regex(HOOK_URL_PATTERN, fullmatch=True))
def test_a_hook_url_the_document_takes_is_taken_by_its_text(url, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = False
    assert egress.url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://0.0x",  # 0x is a hexadecimal zero: the host is the address 0.0.0.0
        "HTTPS://shop.0XAB",
        "http://shop.0x-ab",
        "http://shop.0xg",
        "http://shop.example",
        "http://shop.12",
        "http://shop.1a",
        "http://shop.0a",
        "http://shop.00x1",
    ],
)
def test_the_document_and_the_code_agree_on_a_last_label_that_may_be_a_number(url, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = False
    assert bool(re.fullmatch(HOOK_URL_PATTERN, url)) == (egress.url_problem(url) is None)


@examples(max_examples=500, deadline=None)
@given(text=st.from_regex(DATE_OR_DATETIME["pattern"], fullmatch=True))
def test_a_date_the_document_takes_is_taken(text):
    if text:  # empty: no bound
        date_or_datetime(text)


@pytest.mark.parametrize(
    "text", ["2026-02-30", "2025-02-29", "2100-02-29", "1899-12-31", "3000-01-01", "2026-01-01T24:00"]
)
def test_a_date_the_code_refuses_is_refused_by_the_document(text):
    assert not re.fullmatch(DATE_OR_DATETIME["pattern"], text)
    with pytest.raises(ValueError):
        date_or_datetime(text)
