"""Django tries the URL patterns in turn on every request: the connectors' calls, the most
frequent by far (a marketplace's orders), are matched by the first ones."""

import pytest
from django.urls import Resolver404, get_resolver, reverse

CONNECTOR_CALLS = [
    ("order-integration", {}),
    ("order-integration-status", {}),
    ("fulfillment-orders", {}),
    ("fulfillment-authorize-dispatch", {"order_id": "MKP-1"}),
    ("fulfillment-simulation", {}),
]


def tried_before_a_match(path: str) -> int:
    """How many top-level patterns Django tries before the one that matches `path`."""
    for tried, pattern in enumerate(get_resolver().url_patterns):
        try:
            if pattern.resolve(path.removeprefix("/")):
                return tried
        except Resolver404:
            continue
    raise AssertionError(f"nothing matches {path}")


@pytest.mark.parametrize(("name", "kwargs"), CONNECTOR_CALLS)
def test_a_connectors_call_is_matched_among_the_first_patterns(name, kwargs):
    assert tried_before_a_match(reverse(name, kwargs=kwargs)) < 3


def test_the_admin_is_still_matched_after_them():
    assert tried_before_a_match(reverse("admin:index")) >= 3
