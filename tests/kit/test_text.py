"""Text no database stores is found wherever JSON can carry it, and only looked for where it can be."""

import json

from hypothesis import example, given
from hypothesis import strategies as st

from kit.api import BodyInvalid, json_body
from kit.text import may_hold_unstorable, unstorable_problems

# Any character, NUL and lone surrogates (which `characters` leaves out unless told) often, in
# keys and values, nested.
TEXT = st.text(
    st.characters(exclude_categories=()) | st.sampled_from("\x00\ud800\udbff\udc00\udfff"), max_size=8
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@given(JSON, st.booleans())
@example({"street": "a\ud800"}, True)
@example({"a\udfff": [None]}, True)
@example({"\x00": 1}, False)
def test_a_body_whose_text_holds_nul_or_a_lone_surrogate_is_always_searched(value, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        parsed = json_body(raw)
    except BodyInvalid:
        return  # refused whole: a raw lone surrogate is not UTF-8
    if unstorable_problems(parsed):
        assert may_hold_unstorable(raw)


def test_the_example_order_is_not_searched():
    from tests.orders.payloads import EXAMPLE_ORDER

    assert not may_hold_unstorable(json.dumps(EXAMPLE_ORDER, ensure_ascii=False).encode())
    assert not may_hold_unstorable(json.dumps(EXAMPLE_ORDER).encode())  # "Port\u00e3o": escaped, and storable
    assert may_hold_unstorable(b'{"street": "Rua\\u0000 1"}')
    assert may_hold_unstorable(b'{"street": "Rua\\uDBFF 1"}')
