"""The compiled contract check gives the same answers as jsonschema, only sooner.

A body the compiled check accepts skips jsonschema; so it must never accept what jsonschema
refuses, or an order with a wrong field would be stored instead of answered EOI005.
"""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector_api.fulfillment_body import _with_camel_profile
from connectors import contract
from kit.text import unstorable_problems
from tests.orders.payloads import order_body, seed_order

SCHEMAS = sorted(path.name.removesuffix(".schema.json") for path in contract.HERE.glob("*.schema.json"))
EXAMPLES = {
    "place_order": order_body,
    "place_fulfillment_order": lambda: _with_camel_profile(seed_order()),  # as it is checked
    "update_status": lambda: {"marketplaceOrderId": "123456789", "marketplaceOrderStatus": "approved"},
}


def jsonschema_errors(name: str, body) -> list[contract.ContractError]:
    """What the connector was answered before the compiled check: jsonschema's every error."""
    found = sorted(
        contract._validator(name).iter_errors(body), key=lambda error: list(map(str, error.absolute_path))
    )
    return [contract.ContractError("EOI005", contract._describe(error)) for error in found] + [
        contract.ContractError("EOI005", problem) for problem in unstorable_problems(body)
    ]


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_contract_schema_has_a_compiled_check(name):
    # A schema using what the compiled check would read otherwise than jsonschema falls back to
    # jsonschema alone: correct, but slower on every order.
    assert contract.fast_check(name) is not None


def test_a_ref_with_a_constraint_beside_it_is_left_to_jsonschema():
    # Draft 7, which the compiled check follows, ignores what sits beside a $ref.
    schema = {
        "$defs": {"cents": {"type": "integer"}},
        "properties": {"x": {"$ref": "#/$defs/cents", "maximum": 5}},
    }
    assert contract._fast_compatible(schema) is False
    assert contract._fast_compatible({"properties": {"x": {"enum": [1, True]}}}) is False
    assert contract._fast_compatible({"properties": {"x": {"prefixItems": []}}}) is False


def paths_of(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths_of(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths_of(value, (*path, index))


def limits(node, found=None) -> dict[str, set]:
    """Every bound the contract's schemas set, by keyword."""
    found = found if found is not None else {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("maxLength", "minLength", "minimum", "maximum", "maxItems", "minItems"):
                found.setdefault(key, set()).add(value)
            limits(value, found)
    elif isinstance(node, list):
        for value in node:
            limits(value, found)
    return found


BOUNDS = {}
for schema_name in SCHEMAS:
    for keyword, bounds in limits(contract._validator(schema_name).schema).items():
        BOUNDS.setdefault(keyword, set()).update(bounds)
# Values at and just past every bound, and strings the patterns and types tell apart.
lengths = sorted({n + 1 for n in BOUNDS["maxLength"]} | {n - 1 for n in BOUNDS["minLength"]})
numbers = sorted({n - 1 for n in BOUNDS["minimum"]} | {n + 1 for n in BOUNDS["maximum"]} | {0, 1})
ODD_STRINGS = ["", " ", "a b", "a\n", "a\x1c", "\u00a0x", "1d", "ABC/1", "a#b", "pickup-in-point", "delivery"]
scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from(numbers)
    | st.sampled_from(numbers).map(float)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.builds(
        lambda length, char: char * length, st.sampled_from(lengths), st.sampled_from(["x", "é", " "])
    )
    | st.sampled_from(ODD_STRINGS)
    | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


ODD_VALUES = [
    None,
    True,
    False,
    [],
    {},
    ["x"],
    {"x": 1},
    float("nan"),
    float("inf"),
    0.5,
    1.0,
    *numbers,
    *("x" * length for length in lengths),
    *ODD_STRINGS,
]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_no_field_changed_to_an_odd_value_passes_the_compiled_check_if_jsonschema_refuses_it(name):
    example = EXAMPLES[name]()
    for path in [path for path in paths_of(example) if path]:
        for change in [*ODD_VALUES, "delete", "too many"]:
            body = copy.deepcopy(example)
            parent = body
            for part in path[:-1]:
                parent = parent[part]
            if change == "delete":
                if not isinstance(parent, dict):
                    continue
                del parent[path[-1]]
            elif change == "too many":
                if not isinstance(parent, list):
                    continue
                parent.extend([parent[path[-1]]] * max(BOUNDS["maxItems"]))
            else:
                parent[path[-1]] = change
            # What the compiled check accepts skips jsonschema: jsonschema must find nothing in it.
            if contract._conforms(name, body):
                assert jsonschema_errors(name, body) == [], (path, change)


@st.composite
def mutated(draw, name):
    body = copy.deepcopy(EXAMPLES[name]())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [path for path in paths_of(body) if path]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "replace", "replace", "repeat"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "repeat" and isinstance(parent, list):  # past maxItems
            parent.extend([parent[path[-1]]] * draw(st.sampled_from(sorted(BOUNDS["maxItems"]))))
        else:
            parent[path[-1]] = draw(values)
    return body


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_changed_body_is_answered_exactly_as_jsonschema_answers_it(name, data):
    body = data.draw(mutated(name))
    assert contract.shape_errors(name, body) == jsonschema_errors(name, body)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_example_passes_the_compiled_check(name):
    assert contract._conforms(name, EXAMPLES[name]()) is True
    assert contract.shape_errors(name, EXAMPLES[name]()) == []
