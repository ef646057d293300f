"""Which way an order goes before the bands, and what processing does with it (PRODUCT.md §4–§5.4).

`decide_submission` is what processing and the replay of past orders both call; these tests
give it plain values, as they do.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from authorization.decision import (
    NATIVE_WITHOUT_RULE_MESSAGE,
    ConnectorFacts,
    Decision,
    OrderDecision,
    Outcome,
    Reason,
    Route,
    SubmissionFacts,
    allowance_percent,
    decide_order,
    decide_submission,
    route,
)
from tests.factories import band

TYPICAL = [band(0, 10, "authorize"), band(10, 20, "manual", ["ana@acme.example"]), band(20, 100, "deny")]
EXTERNAL = ConnectorFacts(type="external", name="Shopee")
NATIVE = ConnectorFacts(type="native", name="Mercado")
OWN_STORE = ConnectorFacts(type="own-store", name="Telesales")


@pytest.mark.parametrize(
    ("connector", "has_rule", "policy", "expected"),
    [
        (ConnectorFacts(type="native", name=" ZOOM "), True, "deny", Route.PREVIOUS_FLOW),
        (ConnectorFacts(type="native", name="Zoomer"), True, "deny", Route.RULE),
        (
            ConnectorFacts(type="native", name="Mercado", keep_previous_flow=True),
            True,
            "deny",
            Route.PREVIOUS_FLOW,
        ),
        (
            ConnectorFacts(type="native", name="Mercado", legacy_rate_percent=Decimal(5)),
            False,
            "deny",
            Route.PREVIOUS_FLOW,
        ),
        (
            ConnectorFacts(type="native", name="Mercado", legacy_rate_percent=Decimal(5)),
            True,
            "deny",
            Route.RULE,
        ),
        (NATIVE, False, "authorize", Route.HOLD_UNTIL_RULE),
        (NATIVE, True, "deny", Route.RULE),
        (OWN_STORE, True, "deny", Route.PER_ITEM_RULE),
        (OWN_STORE, False, "deny", Route.AUTHORIZE_WITHOUT_RULE),
        (EXTERNAL, True, "authorize", Route.RULE),
        (EXTERNAL, False, "deny", Route.DENY_WITHOUT_RULE),
        (EXTERNAL, False, "authorize", Route.AUTHORIZE_WITHOUT_RULE),
        (ConnectorFacts(type="certified", name="Partner"), False, "authorize", Route.AUTHORIZE_WITHOUT_RULE),
        (ConnectorFacts(type="marketplace", name="Platform"), False, "authorize", Route.DENY_WITHOUT_RULE),
        (ConnectorFacts(type="marketplace", name="Platform"), True, "deny", Route.RULE),
    ],
)
def test_route_of_each_connector_type_with_and_without_a_rule(connector, has_rule, policy, expected):
    assert route(connector=connector, has_rule=has_rule, no_rule_policy=policy) is expected


def test_the_no_rule_policy_is_deny_unless_said():
    assert route(connector=EXTERNAL, has_rule=False) is Route.DENY_WITHOUT_RULE


def test_connector_facts_are_read_from_the_connector():
    connector = SimpleNamespace(
        type="native",
        name="Zoom",
        keep_previous_flow=True,
        legacy_rate_percent=Decimal("2.50"),
        honour_allowance=True,
        endpoint="https://zoom.example/hook",
    )
    assert ConnectorFacts.of(connector) == ConnectorFacts(
        type="native",
        name="Zoom",
        keep_previous_flow=True,
        legacy_rate_percent=Decimal("2.50"),
        honour_allowance=True,
    )


def test_allowance_rate_is_a_fraction_shown_as_a_percentage_with_two_decimals():
    assert allowance_percent(None) is None
    assert allowance_percent(Decimal("0.05")) == Decimal("5.00")
    assert allowance_percent("0.1234") == Decimal("12.34")
    assert allowance_percent(Decimal("0.05")).as_tuple().exponent == -2


def order(connector=EXTERNAL, bands=TYPICAL, has_rule=True, divergence="0", **options):
    return decide_order(
        connector=connector, bands=bands, has_rule=has_rule, divergence_percent=Decimal(divergence), **options
    )


def test_with_a_rule_the_band_decides():
    assert order(divergence="5") == OrderDecision(
        Outcome.AUTHORIZE, Route.RULE, Decision(Outcome.AUTHORIZE, Reason.BAND, Decimal("5"), TYPICAL[0], 0)
    )
    assert order(divergence="15").outcome is Outcome.MANUAL
    assert order(divergence="25").outcome is Outcome.DENY
    assert order(divergence="0") == OrderDecision(
        Outcome.NO_DIVERGENCE, Route.RULE, Decision(Outcome.NO_DIVERGENCE, Reason.NO_DIVERGENCE, Decimal("0"))
    )


def test_the_allowance_counts_only_where_the_seller_honours_it_for_the_connector():
    honoured = ConnectorFacts(type="external", name="Shopee", honour_allowance=True)
    assert order(honoured, divergence="25", allowance_rate=Decimal("0.25")) == OrderDecision(
        Outcome.NO_DIVERGENCE,
        Route.RULE,
        Decision(Outcome.NO_DIVERGENCE, Reason.WITHIN_ALLOWANCE, Decimal("25")),
    )
    assert order(honoured, divergence="25.01", allowance_rate=Decimal("0.25")).outcome is Outcome.DENY
    assert order(EXTERNAL, divergence="25", allowance_rate=Decimal("0.25")).outcome is Outcome.DENY


def test_overpayment_counts_unless_the_account_says_otherwise():
    assert order(divergence="-25").outcome is Outcome.DENY
    assert order(divergence="-25", overpayment_is_divergence=False) == OrderDecision(
        Outcome.NO_DIVERGENCE, Route.RULE, Decision(Outcome.NO_DIVERGENCE, Reason.OVERPAYMENT, Decimal("-25"))
    )


def test_own_store_orders_take_the_strictest_of_their_items():
    decided = order(OWN_STORE, divergence="1", item_divergences=[Decimal("1"), Decimal("15"), Decimal("0")])
    assert decided == OrderDecision(
        Outcome.MANUAL,
        Route.PER_ITEM_RULE,
        Decision(Outcome.MANUAL, Reason.BAND, Decimal("15"), TYPICAL[1], 1),
    )
    one_denied = order(OWN_STORE, divergence="1", item_divergences=[Decimal("-1"), Decimal("-30")])
    assert (one_denied.outcome, one_denied.decision.divergence_percent) == (Outcome.DENY, Decimal("-30"))
    # Each item is decided under the account's options too.
    options = {"allowance_rate": Decimal("0.30"), "overpayment_is_divergence": False}
    honoured = ConnectorFacts(type="own-store", name="Telesales", honour_allowance=True)
    assert order(honoured, item_divergences=[Decimal("25"), Decimal("-50")], **options).decision.reason is (
        Reason.WITHIN_ALLOWANCE
    )
    assert order(honoured, item_divergences=[Decimal("-50")], **options).decision.reason is Reason.OVERPAYMENT
    # With no items to compare, the order's own divergence decides.
    assert order(OWN_STORE, divergence="15") == OrderDecision(
        Outcome.MANUAL,
        Route.PER_ITEM_RULE,
        Decision(Outcome.MANUAL, Reason.BAND, Decimal("15"), TYPICAL[1], 1),
    )


def test_without_a_rule_an_order_without_divergence_is_integrated_on_every_route():
    no_divergence = Decision(Outcome.NO_DIVERGENCE, Reason.NO_DIVERGENCE, Decimal("0"))
    for connector, expected_route in [
        (NATIVE, Route.HOLD_UNTIL_RULE),
        (EXTERNAL, Route.DENY_WITHOUT_RULE),
        (ConnectorFacts(type="native", name="Zoom"), Route.PREVIOUS_FLOW),
    ]:
        assert order(connector, bands=[], has_rule=False) == OrderDecision(
            Outcome.NO_DIVERGENCE, expected_route, no_divergence
        )


def test_without_a_rule_native_orders_are_held_with_the_message_to_configure_one():
    assert order(NATIVE, bands=[], has_rule=False, divergence="3") == OrderDecision(
        Outcome.HELD,
        Route.HOLD_UNTIL_RULE,
        Decision(Outcome.DENY, Reason.ABOVE_LAST_BAND, Decimal("3")),
        NATIVE_WITHOUT_RULE_MESSAGE,
    )


def test_without_a_rule_other_orders_are_denied_or_authorized_by_the_policy():
    assert order(EXTERNAL, bands=[], has_rule=False, divergence="3") == OrderDecision(
        Outcome.DENY, Route.DENY_WITHOUT_RULE, Decision(Outcome.DENY, Reason.ABOVE_LAST_BAND, Decimal("3"))
    )
    authorized = order(EXTERNAL, bands=[], has_rule=False, divergence="3", no_rule_policy="authorize")
    assert authorized == OrderDecision(
        Outcome.AUTHORIZE,
        Route.AUTHORIZE_WITHOUT_RULE,
        Decision(Outcome.DENY, Reason.ABOVE_LAST_BAND, Decimal("3")),
    )
    assert order(OWN_STORE, bands=[], has_rule=False, divergence="50").outcome is Outcome.AUTHORIZE


def test_previous_flow_integrates_up_to_the_connector_rate_and_holds_above_it():
    legacy = ConnectorFacts(type="native", name="Mercado", legacy_rate_percent=Decimal("5"))
    assert order(legacy, bands=[], has_rule=False, divergence="-5") == OrderDecision(
        Outcome.AUTHORIZE, Route.PREVIOUS_FLOW, Decision(Outcome.DENY, Reason.ABOVE_LAST_BAND, Decimal("-5"))
    )
    held = order(legacy, bands=[], has_rule=False, divergence="-5.01")
    assert held == OrderDecision(
        Outcome.HELD,
        Route.PREVIOUS_FLOW,
        Decision(Outcome.DENY, Reason.ABOVE_LAST_BAND, Decimal("-5.01")),
        "Price divergence of -5.01 % is above the connector's rate of 5.00 % (previous flow): "
        "reprocess to integrate it.",
    )
    # |d| is capped at 100, so a rate of 100 % integrates any divergence.
    everything = ConnectorFacts(type="native", name="Mercado", legacy_rate_percent=Decimal("100"))
    assert order(everything, bands=[], has_rule=False, divergence="-250").outcome is Outcome.AUTHORIZE


def test_zoom_without_a_rate_holds_any_divergence():
    held = order(ConnectorFacts(type="native", name="Zoom"), divergence="0.01")
    assert (held.outcome, held.route) == (Outcome.HELD, Route.PREVIOUS_FLOW)
    assert "rate of 0.00 %" in held.held_reason


def submission(connector=EXTERNAL, divergence="0", ignore=False, **options):
    facts = SubmissionFacts(
        connector=connector, divergence_percent=Decimal(divergence), ignore_divergence=ignore
    )
    return decide_submission(facts=facts, bands=options.pop("bands", TYPICAL), has_rule=True, **options)


@pytest.mark.parametrize(
    ("divergence", "outcome"),
    [
        ("0", Outcome.NO_DIVERGENCE),
        ("5", Outcome.AUTHORIZE),
        ("15", Outcome.MANUAL),
        ("25", Outcome.DENY),
        ("-25", Outcome.DENY),
    ],
)
def test_submission_outcome_as_the_dashboard_counts_it(divergence, outcome):
    decided = submission(divergence=divergence)
    assert (decided.outcome, decided.ignored) == (outcome, False)
    assert decided.decision == order(divergence=divergence)


def test_a_held_submission_counts_as_held():
    facts = SubmissionFacts(connector=NATIVE, divergence_percent=Decimal("3"))
    decided = decide_submission(facts=facts, bands=[], has_rule=False)
    assert (decided.outcome, decided.ignored) == (Outcome.HELD, False)
    assert decided.decision.held_reason == NATIVE_WITHOUT_RULE_MESSAGE


@pytest.mark.parametrize("divergence", ["15", "25"])
def test_ignoring_the_divergence_integrates_a_manual_or_denied_submission_as_authorized(divergence):
    decided = submission(divergence=divergence, ignore=True)
    assert (decided.outcome, decided.ignored) == (Outcome.AUTHORIZE, True)
    assert decided.decision == order(divergence=divergence)


def test_ignoring_the_divergence_integrates_a_held_submission_and_leaves_others_alone():
    facts = SubmissionFacts(connector=NATIVE, divergence_percent=Decimal("3"), ignore_divergence=True)
    decided = decide_submission(facts=facts, bands=[], has_rule=False)
    assert (decided.outcome, decided.ignored) == (Outcome.AUTHORIZE, True)
    for divergence, outcome in [("0", Outcome.NO_DIVERGENCE), ("5", Outcome.AUTHORIZE)]:
        decided = submission(divergence=divergence, ignore=True)
        assert (decided.outcome, decided.ignored) == (outcome, False)


def test_submission_passes_its_facts_and_the_account_settings_on():
    honoured = ConnectorFacts(type="own-store", name="Telesales", honour_allowance=True)
    facts = SubmissionFacts(
        connector=honoured,
        divergence_percent=Decimal("1"),
        item_divergences=(Decimal("15"), Decimal("-50")),
        allowance_rate=Decimal("0.15"),
    )
    # Without its items the order would be authorized; without the allowance an item would be
    # manual, and without the account's overpayment setting, denied.
    decided = decide_submission(facts=facts, bands=TYPICAL, has_rule=True, overpayment_is_divergence=False)
    assert decided.outcome is Outcome.NO_DIVERGENCE
    assert decided.decision.decision == Decision(
        Outcome.NO_DIVERGENCE, Reason.WITHIN_ALLOWANCE, Decimal("15")
    )
    facts = SubmissionFacts(connector=EXTERNAL, divergence_percent=Decimal("3"))
    assert decide_submission(facts=facts, bands=[], has_rule=False, no_rule_policy="authorize").outcome is (
        Outcome.AUTHORIZE
    )
    assert decide_submission(facts=facts, bands=[], has_rule=False).outcome is Outcome.DENY
