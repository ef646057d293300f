"""The seller API for the price divergence rule."""

import pytest

from authorization.models import RuleRevision
from tests.support.clients import token_header
from tests.support.observe import observed

URL = "/api/authorization/price-divergence-rule?an=acme"

RULE = {
    "bands": [
        {"from": 0, "to": 10, "action": "authorize"},
        {
            "from": 10,
            "to": 20,
            "action": "manual",
            "approvers": ["ana@acme.example", "bo@acme.example"],
            "escalateAfterMinutes": 240,
        },
        {"from": 20, "to": 100, "action": "deny"},
    ]
}


@pytest.fixture
def team(owner, approver, second_approver):
    return owner


def bands_of(rule: dict) -> list[tuple[str, str, str]]:
    return [(band["from"], band["to"], band["action"]) for band in rule["bands"]]


def test_get_without_rule_answers_404(api_client_for, owner):
    response = api_client_for(owner).get(URL)
    assert response.status_code == 404
    assert response.json()["message"] == "Account 'acme' has no price divergence rule."


def test_owner_replaces_the_rule_and_reads_it_back(api_client_for, team):
    client = api_client_for(team)
    response = client.put(URL, RULE, format="json")
    assert response.status_code == 200, response.json()
    body = client.get(URL).json()
    assert bands_of(body) == [
        ("0.00", "10.00", "authorize"),
        ("10.00", "20.00", "manual"),
        ("20.00", "100.00", "deny"),
    ]
    assert body["bands"][1]["approvers"] == ["ana@acme.example", "bo@acme.example"]
    assert body["bands"][1]["escalateAfterMinutes"] == 240
    assert body["gaps"] == []
    assert body["updatedBy"] == "owner@acme.example"


def test_oms_full_may_replace_the_rule(api_client_for, oms_full, approver, second_approver):
    client = api_client_for(oms_full)
    assert client.put(URL, RULE, format="json").status_code == 200
    assert bands_of(client.get(URL).json()) == [
        ("0.00", "10.00", "authorize"),
        ("10.00", "20.00", "manual"),
        ("20.00", "100.00", "deny"),
    ]
    (created,) = RuleRevision.objects.all()
    assert (created.change, created.actor, len(created.bands_after)) == ("created", oms_full, 3)


@pytest.mark.parametrize("role_fixture", ["approver", "viewer"])
def test_approver_and_viewer_may_read_but_not_change(
    request, api_client_for, team, role_fixture, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the new rule's reprocessing runs
        api_client_for(team).put(URL, RULE, format="json")
    client = api_client_for(request.getfixturevalue(role_fixture))
    read = client.get(URL)
    assert bands_of(read.json()) == [
        ("0.00", "10.00", "authorize"),
        ("10.00", "20.00", "manual"),
        ("20.00", "100.00", "deny"),
    ]
    before = observed(team.memberships.get().account)
    put = client.put(URL, {"bands": [{"from": 0, "to": 100, "action": "authorize"}]}, format="json")
    assert put.status_code == 403
    assert put.json()["message"] == "Only an Owner or OMS Full user of this account may change its rule."
    deleted = client.delete(URL)
    assert (deleted.status_code, deleted.json()["message"]) == (403, put.json()["message"])
    assert observed(team.memberships.get().account) == before
    assert client.get(URL).json() == read.json()


def test_another_accounts_user_is_refused(api_client_for, team, other_account):
    from accounts.roles import Role
    from tests.factories import member

    stranger = member(other_account, Role.OWNER, "boss@globex.example")
    response = api_client_for(stranger).get(URL)
    assert response.status_code == 403
    assert response.json()["message"] == "You have no access to account 'acme'."


def test_without_token_answers_401(client, team):
    response = client.get(URL)
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    from rest_framework.test import APIClient

    anonymous = APIClient()
    anonymous.credentials(**token_header("not-a-token"))
    assert anonymous.get(URL).status_code == 401
    put = anonymous.put(URL, RULE, format="json")
    assert put.status_code == 401
    assert RuleRevision.objects.count() == 0


def test_overlapping_bands_are_refused_naming_the_band(api_client_for, team):
    response = api_client_for(team).put(
        URL,
        {"bands": [{"from": 0, "to": 10, "action": "authorize"}, {"from": 5, "to": 100, "action": "deny"}]},
        format="json",
    )
    assert response.status_code == 400
    assert {"field": "bands[1].from", "message": "Overlaps the band 0–10 %."} in response.json()["errors"]
    assert RuleRevision.objects.count() == 0


def test_shape_errors_name_every_field(api_client_for, team):
    response = api_client_for(team).put(
        URL,
        {"bands": [{"from": -1, "to": 101, "action": "hold"}, {"to": 5, "action": "deny"}]},
        format="json",
    )
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"bands[0].from", "bands[0].to", "bands[0].action", "bands[1].from"}
    assert RuleRevision.objects.count() == 0


def test_manual_band_needs_approvers_of_the_account(api_client_for, team, viewer):
    client = api_client_for(team)
    response = client.put(URL, {"bands": [{"from": 0, "to": 100, "action": "manual"}]}, format="json")
    assert response.json()["errors"] == [
        {"field": "bands[0].approvers", "message": "A band held for approval needs at least one approver."}
    ]
    response = client.put(
        URL,
        {
            "bands": [
                {
                    "from": 0,
                    "to": 100,
                    "action": "manual",
                    "approvers": ["nobody@else.example", "viewer@acme.example"],
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "bands[0].approvers",
            "message": "Not an approver, Owner or OMS Full user of acme: nobody@else.example, viewer@acme.example.",
        }
    ]
    assert client.get(URL).status_code == 404  # nothing saved
    assert RuleRevision.objects.count() == 0


def test_single_approver_saves_with_a_warning(api_client_for, team):
    response = api_client_for(team).put(
        URL,
        {"bands": [{"from": 0, "to": 100, "action": "manual", "approvers": ["ANA@acme.example"]}]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["bands"][0]["approvers"] == ["ana@acme.example"]
    assert response.json()["warnings"][0]["field"] == "bands[0].approvers"


def test_gaps_are_reported(api_client_for, team):
    response = api_client_for(team).put(
        URL,
        {"bands": [{"from": 0, "to": 5, "action": "authorize"}, {"from": 50, "to": 60, "action": "deny"}]},
        format="json",
    )
    assert response.json()["gaps"] == [{"from": "5.00", "to": "50.00"}, {"from": "60.00", "to": "100.00"}]


def test_every_change_is_kept_with_before_and_after(api_client_for, team):
    client = api_client_for(team)
    client.put(URL, RULE, format="json")
    client.put(URL, {"bands": [{"from": 0, "to": 100, "action": "authorize"}]}, format="json")
    assert client.delete(URL).status_code == 204
    assert client.get(URL).status_code == 404
    assert client.delete(URL).status_code == 404
    history = client.get("/api/authorization/price-divergence-rule/history?an=acme").json()
    assert [entry["change"] for entry in history] == ["deleted", "updated", "created"]
    assert history[0]["bandsBefore"] == [
        {
            "from": "0.00",
            "to": "100.00",
            "action": "authorize",
            "approvers": [],
            "escalateAfterMinutes": 240,
            "onDeadline": "wait",
            "deadlineMinutes": None,
            "approveUpToCents": None,
        }
    ]
    assert history[0]["bandsAfter"] == []
    assert len(history[1]["bandsBefore"]) == 3
    assert all(entry["actor"] == "owner@acme.example" for entry in history)


def test_an_is_optional_for_a_user_of_one_account(api_client_for, team):
    client = api_client_for(team)
    client.put(URL, RULE, format="json")
    assert client.get("/api/authorization/price-divergence-rule").json()["account"] == "acme"


def test_openapi_document_is_served_with_a_browsable_ui(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/authorization/price-divergence-rule" in schema.json()["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_a_change_based_on_an_older_etag_is_refused_with_412_and_who_changed_it(
    api_client_for, team, oms_full
):
    client = api_client_for(team)
    client.put(URL, RULE, format="json")
    read = client.get(URL)
    tag = read["ETag"]
    assert tag.startswith('"') and tag.endswith('"')

    other = api_client_for(oms_full).put(
        URL, {"bands": [{"from": 0, "to": 100, "action": "authorize"}]}, format="json"
    )
    assert other.status_code == 200
    assert other["ETag"] != tag

    refused = client.put(URL, RULE, format="json", HTTP_IF_MATCH=tag)
    assert refused.status_code == 412
    assert refused.json() == {"code": "rule_changed", "message": refused.json()["message"], "errors": []}
    assert "changed by oms@acme.example" in refused.json()["message"]
    assert refused["ETag"] == other["ETag"]
    assert [b["action"] for b in client.get(URL).json()["bands"]] == ["authorize"]

    assert client.delete(URL, HTTP_IF_MATCH=tag).status_code == 412
    assert [b["action"] for b in client.get(URL).json()["bands"]] == ["authorize"]
    assert client.put(URL, RULE, format="json", HTTP_IF_MATCH=refused["ETag"]).status_code == 200
    assert [b["action"] for b in client.get(URL).json()["bands"]] == ["authorize", "manual", "deny"]
    current = client.get(URL)["ETag"]
    assert client.delete(URL, HTTP_IF_MATCH=f"W/{current}").status_code == 204
    assert client.get(URL).status_code == 404
    assert list(RuleRevision.objects.order_by("pk").values_list("change", "actor__email")) == [
        ("created", "owner@acme.example"),
        ("updated", "oms@acme.example"),
        ("updated", "owner@acme.example"),
        ("deleted", "owner@acme.example"),
    ]


def test_without_if_match_the_last_write_wins(api_client_for, team):
    client = api_client_for(team)
    client.put(URL, RULE, format="json")
    assert (
        client.put(URL, {"bands": [{"from": 0, "to": 100, "action": "deny"}]}, format="json").status_code
        == 200
    )
    assert bands_of(client.get(URL).json()) == [("0.00", "100.00", "deny")]
    assert client.put(URL, RULE, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert [b["action"] for b in client.get(URL).json()["bands"]] == ["authorize", "manual", "deny"]
    before = RuleRevision.objects.count()
    refused = client.put(
        URL,
        {"bands": [{"from": 0, "to": 100, "action": "deny"}]},
        format="json",
        HTTP_IF_MATCH='"not-a-version"',
    )
    assert refused.status_code == 412
    assert [b["action"] for b in client.get(URL).json()["bands"]] == ["authorize", "manual", "deny"]
    assert RuleRevision.objects.count() == before
