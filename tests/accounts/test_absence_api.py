"""The seller API's absences: `/api/absences/me` for one's own, `/api/absences/{email}` for the Owner."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Absence
from accounts.roles import Role
from tests.factories import band, member
from tests.support.orders import rule_set

ME = "/api/absences/me?an=acme"
ANA = "/api/absences/ana@acme.example?an=acme"


@pytest.fixture
def later():
    now = timezone.now().replace(microsecond=0)
    return now + timedelta(days=1), now + timedelta(days=8)


def period(later, **more):
    starts, ends = later
    return {"startsAt": starts.isoformat(), "endsAt": ends.isoformat(), **more}


def test_an_approver_sets_reads_and_ends_their_own_absence(api_client_for, approver, second_approver, later):
    client = api_client_for(approver)
    assert client.get(ME).status_code == 404
    response = client.put(ME, period(later, substitute="Bo@acme.example"), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["account"], body["email"], body["substitute"], body["inForce"], body["setBy"]) == (
        "acme",
        "ana@acme.example",
        "bo@acme.example",
        False,
        "ana@acme.example",
    )
    assert parse_datetime(body["endsAt"]) == later[1]
    assert client.get(ME).json() == body
    assert client.delete(ME).status_code == 204
    assert not Absence.objects.exists()  # not begun: removed
    assert client.get(ME).status_code == 404


def test_ending_an_absence_in_force_keeps_it_ended_now(api_client_for, approver, second_approver):
    client = api_client_for(approver)
    ends = (timezone.now() + timedelta(days=2)).isoformat()
    assert client.put(ME, {"endsAt": ends, "substitute": "bo@acme.example"}, format="json").json()["inForce"]
    assert client.delete(ME).status_code == 204
    assert Absence.objects.get().ends_at <= timezone.now()


def test_refusals_come_in_the_seller_api_s_error_body(api_client_for, owner, approver, viewer, later):
    rule_set(approver.memberships.get().account, [band(0, 100, "manual", ["ana@acme.example"])])
    client = api_client_for(approver)
    alone = client.put(ME, period(later), format="json")
    assert alone.status_code == 409
    message = (
        "ana@acme.example is the only approver left of the band 0.00–100.00 % of the rule. Name a substitute."
    )
    assert alone.json() == {
        "code": "absence_refused",
        "message": message,
        "errors": [{"field": "substitute", "message": message}],
    }
    backwards = client.put(ME, period((later[1], later[0]), substitute="owner@acme.example"), format="json")
    assert backwards.status_code == 400
    assert backwards.json()["errors"] == [{"field": "endsAt", "message": "An absence ends after it starts."}]
    stranger = client.put(ME, period(later, substitute="nobody@acme.example"), format="json")
    assert (
        stranger.json()["message"]
        == "nobody@acme.example may not decide orders of acme, so they cannot substitute."
    )
    viewing = client.put(ME, period(later, substitute="viewer@acme.example"), format="json")
    assert viewing.status_code == 409
    unreadable = client.put(ME, {"endsAt": "soon"}, format="json")
    assert unreadable.status_code == 400 and unreadable.json()["errors"][0]["field"] == "endsAt"


def test_the_owner_sets_and_ends_a_member_s_absence_and_no_one_else_may(
    api_client_for, owner, oms_full, approver, second_approver, later
):
    wanted = period(later, substitute="bo@acme.example")
    refused = api_client_for(second_approver).put(ANA, wanted, format="json")
    assert refused.status_code == 403
    assert (
        refused.json()["message"]
        == "Only ana@acme.example or the Owner of acme may set or end their absence."
    )
    assert api_client_for(oms_full).put(ANA, wanted, format="json").status_code == 403
    set_by_owner = api_client_for(owner).put(ANA, wanted, format="json")
    assert set_by_owner.status_code == 200 and set_by_owner.json()["setBy"] == "owner@acme.example"
    # Every member of the account reads it; ending it is the Owner's or ana's.
    assert api_client_for(second_approver).get(ANA).json()["substitute"] == "bo@acme.example"
    assert api_client_for(second_approver).delete(ANA).status_code == 403
    assert api_client_for(owner).delete(ANA).status_code == 204
    assert api_client_for(owner).get("/api/absences/nobody@acme.example?an=acme").status_code == 404


def test_another_account_s_owner_neither_sees_nor_sets_an_absence(
    api_client_for, approver, second_approver, other_account, later
):
    api_client_for(approver).put(ME, period(later, substitute="bo@acme.example"), format="json")
    globex_owner = member(other_account, Role.OWNER, "owner@globex.example")
    client = api_client_for(globex_owner)
    for response in (
        client.get(ANA),
        client.put(ANA, period(later), format="json"),
        client.delete(ANA),
    ):
        assert response.status_code == 403
        assert response.json()["message"] == "You have no access to account 'acme'."
    # Named by their own account, acme's member is no member there.
    assert client.get("/api/absences/ana@acme.example?an=globex").status_code == 404
    assert Absence.objects.get().ends_at == later[1]
