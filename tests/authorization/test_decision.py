"""The pure decision of PRODUCT.md §5, property-tested."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authorization.bands import BandProblem, Segment, band_problems_listed, check_bands, segments
from authorization.decision import Decision, Outcome, Reason, decide_divergence, strictest
from tests.factories import band

TYPICAL = [band(0, 10, "authorize"), band(10, 20, "manual", ["ana@acme.example"]), band(20, 100, "deny")]

percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw):
    """Draw a valid rule: non-overlapping bands over 0–100, possibly with gaps."""
    cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=10000), min_size=2, max_size=8)))
    bands = []
    for lower, upper in itertools.pairwise(cuts):
        if draw(st.booleans()):
            action = draw(st.sampled_from(["authorize", "manual", "deny"]))
            approvers = ["ana@acme.example"] if action == "manual" else []
            bands.append(band(Decimal(lower) / 100, Decimal(upper) / 100, action, approvers))
    return bands


@given(rules(), percents)
def test_every_divergence_maps_to_exactly_one_outcome(bands, percent):
    decision = decide_divergence(bands=bands, divergence_percent=percent)
    containing = [index for index, b in enumerate(bands) if b.contains(percent)]
    assert len(containing) <= 1
    if percent == 0:
        assert decision.outcome is Outcome.NO_DIVERGENCE
    elif containing:
        assert decision.band_index == containing[0]
        assert decision.outcome.value == bands[containing[0]].action.value
    else:
        assert decision.outcome is Outcome.DENY
        assert decision.reason in (Reason.GAP, Reason.ABOVE_LAST_BAND)


@given(rules())
def test_segments_cover_zero_to_hundred_without_overlap(bands):
    covered = segments(bands)
    assert covered[0].lower_percent == 0
    assert covered[-1].upper_percent == 100
    for left, right in itertools.pairwise(covered):
        assert left.upper_percent == right.lower_percent
    assert sum(1 for segment in covered if segment.kind != "gap") == len(bands)


@given(rules(), percents)
def test_decision_is_symmetric_in_sign(bands, percent):
    assert (
        decide_divergence(bands=bands, divergence_percent=percent).outcome
        == decide_divergence(bands=bands, divergence_percent=-percent).outcome
    )


def test_from_is_inclusive_and_to_is_exclusive():
    assert decide_divergence(bands=TYPICAL, divergence_percent=Decimal("10")).outcome is Outcome.MANUAL
    assert decide_divergence(bands=TYPICAL, divergence_percent=Decimal("9.99")).outcome is Outcome.AUTHORIZE
    assert decide_divergence(bands=TYPICAL, divergence_percent=Decimal("20")).outcome is Outcome.DENY


def test_hundred_percent_falls_in_a_band_ending_at_hundred():
    bands = [band(0, 50, "authorize"), band(50, 100, "manual", ["ana@acme.example"])]
    decision = decide_divergence(bands=bands, divergence_percent=Decimal("100"))
    assert decision.outcome is Outcome.MANUAL
    assert decision.band_index == 1


def test_divergence_beyond_hundred_is_capped_at_hundred():
    bands = [band(0, 50, "authorize"), band(50, 100, "manual", ["ana@acme.example"])]
    assert decide_divergence(bands=bands, divergence_percent=Decimal("-250")).outcome is Outcome.MANUAL


def test_gap_between_bands_denies():
    bands = [band(0, 5, "authorize"), band(10, 100, "manual", ["ana@acme.example"])]
    decision = decide_divergence(bands=bands, divergence_percent=Decimal("7"))
    assert (decision.outcome, decision.reason) == (Outcome.DENY, Reason.GAP)


def test_single_band_below_hundred_denies_above_it():
    decision = decide_divergence(bands=[band(0, 30, "authorize")], divergence_percent=Decimal("30"))
    assert (decision.outcome, decision.reason) == (Outcome.DENY, Reason.ABOVE_LAST_BAND)


def test_zero_divergence_is_integrated_without_the_rule():
    decision = decide_divergence(bands=[], divergence_percent=Decimal("0"))
    assert decision.outcome is Outcome.NO_DIVERGENCE


def test_overpayment_not_counted_when_the_account_says_so():
    decision = decide_divergence(
        bands=TYPICAL, divergence_percent=Decimal("-30"), overpayment_is_divergence=False
    )
    assert (decision.outcome, decision.reason) == (Outcome.NO_DIVERGENCE, Reason.OVERPAYMENT)
    assert decide_divergence(bands=TYPICAL, divergence_percent=Decimal("-30")).outcome is Outcome.DENY


def test_allowance_counts_as_no_divergence_up_to_its_rate():
    within = decide_divergence(bands=TYPICAL, divergence_percent=Decimal("5"), allowance_percent=Decimal("5"))
    beyond = decide_divergence(
        bands=TYPICAL, divergence_percent=Decimal("5.01"), allowance_percent=Decimal("5")
    )
    assert (within.outcome, within.reason) == (Outcome.NO_DIVERGENCE, Reason.WITHIN_ALLOWANCE)
    assert beyond.outcome is Outcome.AUTHORIZE


def test_strictest_item_decides_the_order():
    decisions = [
        decide_divergence(bands=TYPICAL, divergence_percent=Decimal("1")),
        decide_divergence(bands=TYPICAL, divergence_percent=Decimal("15")),
        decide_divergence(bands=TYPICAL, divergence_percent=Decimal("0")),
    ]
    assert strictest(decisions).outcome is Outcome.MANUAL
    assert strictest([decisions[2], decisions[0]]).outcome is Outcome.AUTHORIZE
    decisions.append(decide_divergence(bands=TYPICAL, divergence_percent=Decimal("50")))
    assert strictest(decisions).outcome is Outcome.DENY


def messages(problems):
    return [(problem.band_index, problem.field, problem.message) for problem in problems]


def test_check_refuses_overlap_empty_band_and_manual_without_approvers():
    errors, _ = check_bands([band(0, 10, "authorize"), band(5, 20, "deny"), band(30, 30, "deny")])
    assert (1, "from", "Overlaps the band 0–10 %.") in messages(errors)
    assert (2, "to", "“From” must be lower than “To”.") in messages(errors)
    errors, _ = check_bands([band(0, 100, "manual")])
    assert messages(errors) == [(0, "approvers", "A band held for approval needs at least one approver.")]


def test_check_warns_under_two_approvers():
    errors, warnings = check_bands([band(0, 100, "manual", ["ana@acme.example"])])
    assert errors == []
    assert [w.field for w in warnings] == ["approvers"]
    _, warnings = check_bands([band(0, 100, "manual", ["ana@acme.example", "bo@acme.example"])])
    assert warnings == []


def test_check_accepts_gaps_and_refuses_an_empty_rule():
    errors, _ = check_bands([band(0, 5, "authorize"), band(50, 60, "deny")])
    assert errors == []
    errors, _ = check_bands([])
    assert messages(errors) == [(None, None, "A rule needs at least one band.")]


def test_problems_are_listed_for_the_api_each_with_the_path_to_its_field():
    empty, _ = check_bands([])
    overlapping, _ = check_bands([band(0, 10, "authorize"), band(5, 20, "deny")])
    whole_band = BandProblem("Something about the whole band.", band_index=3)
    assert band_problems_listed([*empty, *overlapping, whole_band]) == [
        {"field": "bands", "message": "A rule needs at least one band."},
        {"field": "bands[1].from", "message": "Overlaps the band 0–10 %."},
        {"field": "bands[3]", "message": "Something about the whole band."},
    ]


# What the editor and the decision records show, compared whole: the reason, the signed
# divergence and the band are what a seller reads, not only the outcome.


def test_each_way_to_decide_records_its_reason_the_signed_divergence_and_the_band():
    manual = TYPICAL[1]
    assert decide_divergence(bands=TYPICAL, divergence_percent=Decimal("0")) == Decision(
        Outcome.NO_DIVERGENCE, Reason.NO_DIVERGENCE, Decimal("0")
    )
    assert decide_divergence(
        bands=TYPICAL, divergence_percent=Decimal("-30"), overpayment_is_divergence=False
    ) == Decision(Outcome.NO_DIVERGENCE, Reason.OVERPAYMENT, Decimal("-30"))
    assert decide_divergence(
        bands=TYPICAL, divergence_percent=Decimal("-4"), allowance_percent=Decimal("5")
    ) == Decision(Outcome.NO_DIVERGENCE, Reason.WITHIN_ALLOWANCE, Decimal("-4"))
    assert decide_divergence(bands=TYPICAL, divergence_percent=Decimal("-12.5")) == Decision(
        Outcome.MANUAL, Reason.BAND, Decimal("-12.5"), manual, 1
    )
    gapped = [band(0, 5, "authorize"), band(10, 30, "deny")]
    assert decide_divergence(bands=gapped, divergence_percent=Decimal("7")) == Decision(
        Outcome.DENY, Reason.GAP, Decimal("7")
    )
    assert decide_divergence(bands=gapped, divergence_percent=Decimal("-40")) == Decision(
        Outcome.DENY, Reason.ABOVE_LAST_BAND, Decimal("-40")
    )


def test_strictest_of_no_decision_is_refused():
    with pytest.raises(ValueError, match=r"^strictest\(\) needs at least one decision$"):
        strictest([])


def test_segments_show_bands_in_order_of_from_with_the_gaps_between_them():
    bands = [band(50, 100, "deny"), band(10, 20, "manual", ["ana@acme.example"]), band(0, 10, "authorize")]
    assert segments(bands) == [
        Segment(Decimal("0"), Decimal("10"), "authorize", 2),
        Segment(Decimal("10"), Decimal("20"), "manual", 1),
        Segment(Decimal("20"), Decimal("50"), "gap"),
        Segment(Decimal("50"), Decimal("100"), "deny", 0),
    ]
    assert segments([band(0, 30, "authorize")]) == [
        Segment(Decimal("0"), Decimal("30"), "authorize", 0),
        Segment(Decimal("30"), Decimal("100"), "gap"),
    ]
    assert segments([]) == [Segment(Decimal("0"), Decimal("100"), "gap")]


def test_band_as_the_api_and_the_editor_show_it():
    manual = band(10, 20.5, "manual", ["ana@acme.example", "bo@acme.example"], escalate_after_minutes=60)
    assert manual.as_dict() == {
        "from": "10.00",
        "to": "20.50",
        "action": "manual",
        "approvers": ["ana@acme.example", "bo@acme.example"],
        "escalateAfterMinutes": 60,
        "onDeadline": "wait",
        "deadlineMinutes": None,
        "approveUpToCents": None,
    }


def test_check_refuses_bounds_outside_zero_to_hundred_with_the_field_to_fix():
    errors, _ = check_bands([band(-1, 10, "authorize"), band(20, 101, "deny")])
    assert messages(errors) == [
        (0, "from", "“From” must be between 0 and 100."),
        (1, "to", "“To” must be between 0 and 100."),
    ]
    # 0 and 100 are bounds a band may have: only the empty band is refused.
    errors, _ = check_bands([band(0, 0, "authorize"), band(100, 100, "deny")])
    assert messages(errors) == [
        (0, "to", "“From” must be lower than “To”."),
        (1, "to", "“From” must be lower than “To”."),
    ]


def test_check_names_each_approver_listed_twice_once():
    errors, _ = check_bands(
        [band(0, 100, "manual", ["bo@x.example", "ana@x.example", "bo@x.example", "ana@x.example"])]
    )
    assert messages(errors) == [(0, "approvers", "Approver listed twice: ana@x.example, bo@x.example.")]
    errors, warnings = check_bands(
        [band(0, 100, "manual", ["ana@x.example", "bo@x.example", "ana@x.example"])]
    )
    assert messages(errors) == [(0, "approvers", "Approver listed twice: ana@x.example.")]
    assert warnings == []


def test_check_warns_of_a_single_approver_on_the_band_with_the_field_to_fix():
    _, warnings = check_bands([band(0, 10, "authorize"), band(10, 100, "manual", ["ana@acme.example"])])
    assert messages(warnings) == [
        (1, "approvers", "Only one approver: name a second so orders never wait on one person.")
    ]


def test_check_refuses_an_escalation_delay_under_one_minute():
    errors, _ = check_bands([band(0, 50, "authorize", escalate_after_minutes=0), band(50, 100, "deny")])
    assert messages(errors) == [
        (0, "escalateAfterMinutes", "The escalation delay must be at least one minute.")
    ]
    errors, _ = check_bands(
        [band(0, 100, "manual", ["a@x.example", "b@x.example"], escalate_after_minutes=1)]
    )
    assert errors == []


def test_check_finds_an_overlap_whatever_order_the_bands_come_in():
    errors, _ = check_bands([band(50, 100, "deny"), band(0, 60, "authorize")])
    assert messages(errors) == [(0, "from", "Overlaps the band 0–60 %.")]
    # Two bands from the same point: the shorter is taken first, the longer overlaps it.
    errors, _ = check_bands([band(0, 50, "authorize"), band(0, 20, "deny")])
    assert messages(errors) == [(0, "from", "Overlaps the band 0–20 %.")]
    # Bands that touch do not overlap.
    errors, _ = check_bands([band(10, 20, "deny"), band(0, 10, "authorize"), band(20, 100, "deny")])
    assert errors == []
