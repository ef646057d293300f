"""Out of office: setting and ending absences, who may, what is refused and why, and whose turn an
absent approver's becomes (`accounts.absences`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.absences import (
    AbsenceForbidden,
    AbsenceRefused,
    absence_current,
    absence_end,
    absence_in_force,
    absence_set,
    covered_by,
    covering_for,
)
from accounts.models import Absence
from accounts.roles import Role
from tests.factories import band, member
from tests.support.orders import rule_set

HOUR = timedelta(hours=1)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def carla(account):
    return member(account, Role.APPROVER, "carla@acme.example")


def away(who, *, now, substitute=None, actor=None, start=-1, end=8):
    """Set `who`'s absence from acme, from `start` to `end` hours from now."""
    return absence_set(
        account=who.memberships.get().account,
        user=who,
        starts_at=now + start * HOUR,
        ends_at=now + end * HOUR,
        substitute=substitute,
        actor=actor or who,
        now=now,
    )


def refusal(call) -> str:
    with pytest.raises(AbsenceRefused) as refused:
        call()
    return refused.value.message


def test_an_approver_away_passes_their_turn_to_their_substitute(
    account, approver, second_approver, carla, now
):
    absence = away(approver, now=now, substitute=second_approver)
    assert absence_in_force(account_id=account.pk, email="Ana@ACME.example", at=now) == absence
    assert covering_for(account_id=account.pk, email="ana@acme.example", at=now) == "bo@acme.example"
    assert covering_for(account_id=account.pk, email="carla@acme.example", at=now) == "carla@acme.example"
    # Before it starts and from its end on, the turn is theirs again.
    assert absence_in_force(account_id=account.pk, email="ana@acme.example", at=now - 2 * HOUR) is None
    assert (
        covering_for(account_id=account.pk, email="ana@acme.example", at=now + 8 * HOUR) == "ana@acme.example"
    )


def test_the_turn_follows_substitutes_who_are_away_too(account, approver, second_approver, carla, now):
    away(approver, now=now, substitute=second_approver)
    away(second_approver, now=now, substitute=carla, start=0, end=2)
    assert (
        covering_for(account_id=account.pk, email="ana@acme.example", at=now + HOUR) == "carla@acme.example"
    )
    assert (
        covering_for(account_id=account.pk, email="ana@acme.example", at=now + 3 * HOUR) == "bo@acme.example"
    )
    assert covered_by(user=carla, at=now + HOUR) == {account.pk: {"ana@acme.example", "bo@acme.example"}}
    assert covered_by(user=second_approver, at=now + HOUR) == {account.pk: {"ana@acme.example"}}
    assert covered_by(user=carla, at=now + 3 * HOUR) == {}


def test_away_without_a_substitute_the_turn_is_nobody_s(account, owner, approver, second_approver, now):
    rule_set(
        account, [band(0, 10, "authorize"), band(10, 100, "manual", ["ana@acme.example", "bo@acme.example"])]
    )
    away(approver, now=now)
    assert covering_for(account_id=account.pk, email="ana@acme.example", at=now) is None


def test_a_substitute_cannot_lead_back_in_a_loop(account, approver, second_approver, carla, now):
    away(approver, now=now, substitute=second_approver, start=2, end=10)
    away(second_approver, now=now, substitute=carla, start=0, end=4)
    message = refusal(lambda: away(carla, now=now, substitute=approver, start=3, end=5))
    assert message == (
        "ana@acme.example is away at that time too, and their substitutes lead back to "
        "carla@acme.example: choose a substitute who is in."
    )
    assert refusal(lambda: away(second_approver, now=now, substitute=approver, start=5, end=6)) == (
        "ana@acme.example is away at that time too, and their substitutes lead back to "
        "bo@acme.example: choose a substitute who is in."
    )
    # At a time the chain is not away, the same substitute is fine.
    away(carla, now=now, substitute=approver, start=11, end=12)


def test_the_only_approver_of_a_band_may_not_go_away_without_a_substitute(
    account, owner, approver, second_approver, now
):
    rule_set(
        account,
        [
            band(0, 10, "authorize"),
            band(10, 20, "manual", ["ana@acme.example", "bo@acme.example"]),
            band(20, 100, "manual", ["ana@acme.example"]),
        ],
    )
    assert refusal(lambda: away(approver, now=now)) == (
        "ana@acme.example is the only approver left of the band 20.00–100.00 % of the rule. Name a substitute."
    )
    assert not Absence.objects.exists()
    # Bo may go: Ana is in. Then Ana may not, even for the band they share.
    away(second_approver, now=now, start=0, end=2)
    message = refusal(lambda: away(approver, now=now, start=1, end=3))
    assert "the band 10.00–20.00 %" in message and "the band 20.00–100.00 %" in message
    # With a substitute, nothing is left without an approver.
    away(approver, now=now, substitute=second_approver, start=3, end=5)


def test_the_only_approver_of_a_waiting_order_may_not_go_away_without_a_substitute(
    held_order, approver, second_approver, now
):
    rule_set(held_order.account, [band(0, 100, "manual", ["bo@acme.example"])])
    away(second_approver, now=now, substitute=approver)
    assert refusal(lambda: away(approver, now=now, start=0)) == (
        "ana@acme.example is the only approver left of order MKP-123456789, waiting for a decision. "
        "Name a substitute."
    )


def test_an_absence_ends_after_it_starts_and_not_already(approver, second_approver, now):
    assert refusal(lambda: away(approver, now=now, substitute=second_approver, start=2, end=2)) == (
        "An absence ends after it starts."
    )
    assert refusal(lambda: away(approver, now=now, substitute=second_approver, start=-3, end=-1)) == (
        "This absence would already be over: give an end still to come."
    )


def test_a_substitute_is_another_member_of_the_account_who_may_decide(
    account, approver, viewer, other_account, now
):
    assert (
        refusal(lambda: away(approver, now=now, substitute=approver)) == "Nobody substitutes for themselves."
    )
    assert refusal(lambda: away(approver, now=now, substitute=viewer)) == (
        "viewer@acme.example may not decide orders of acme, so they cannot substitute."
    )
    stranger = member(other_account, Role.APPROVER, "carla@globex.example")
    assert refusal(lambda: away(approver, now=now, substitute=stranger)) == (
        "carla@globex.example may not decide orders of acme, so they cannot substitute."
    )


def test_an_approver_sets_their_own_absence_and_the_owner_anyone_s(
    account, owner, oms_full, approver, second_approver, other_account, now
):
    with pytest.raises(AbsenceForbidden) as forbidden:
        away(approver, now=now, substitute=second_approver, actor=second_approver)
    assert (
        forbidden.value.message == "Only ana@acme.example or the Owner of acme may set or end their absence."
    )
    with pytest.raises(AbsenceForbidden):
        away(approver, now=now, substitute=second_approver, actor=oms_full)
    other_owner = member(other_account, Role.OWNER, "owner@globex.example")
    with pytest.raises(AbsenceForbidden):
        away(approver, now=now, substitute=second_approver, actor=other_owner)
    absence = away(approver, now=now, substitute=second_approver, actor=owner)
    assert absence.created_by == owner
    with pytest.raises(AbsenceForbidden):
        absence_end(absence=absence, actor=other_owner, now=now)
    absence_end(absence=absence, actor=approver, now=now)


def test_setting_an_absence_again_replaces_the_one_it_overlaps(
    account, approver, second_approver, carla, now
):
    first = away(approver, now=now, substitute=second_approver, start=-1, end=8)
    later = away(approver, now=now, substitute=second_approver, start=20, end=30)
    changed = away(approver, now=now, substitute=carla, start=-1, end=4)
    assert list(Absence.objects.order_by("starts_at").values_list("pk", flat=True)) == [changed.pk, later.pk]
    assert not Absence.objects.filter(pk=first.pk).exists()
    assert absence_current(account=account, user=approver) == changed


def test_ending_an_absence_gives_the_turn_back_now(account, approver, second_approver, now):
    absence = away(approver, now=now, substitute=second_approver)
    assert covered_by(user=second_approver) == {account.pk: {"ana@acme.example"}}
    ended = absence_end(absence=absence, actor=approver)
    assert now < Absence.objects.get(pk=absence.pk).ends_at == ended.ends_at <= timezone.now()
    assert (
        covering_for(account_id=account.pk, email="ana@acme.example", at=timezone.now()) == "ana@acme.example"
    )
    assert covered_by(user=second_approver) == {}
    # One not yet begun is simply removed.
    coming = away(approver, now=now, substitute=second_approver, start=24, end=30)
    assert absence_end(absence=coming, actor=approver, now=now) is None
    assert not Absence.objects.filter(pk=coming.pk).exists()
