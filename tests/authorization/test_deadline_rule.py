"""A manual band's deadline in the rule: what it may say, and what it decides once passed."""

import pytest

from authorization.bands import check_bands, deadline_problems
from authorization.decision import Band, DeadlineVerdict, OnDeadline, decide_at_deadline
from authorization.models import RuleRevision
from authorization.selectors import rule_bands, rule_of
from tests.factories import band
from tests.support.rule_editor import cell_html, formset_data, input_value, rule_url

URL = "/api/authorization/price-divergence-rule?an=acme"
ANA, BO = "ana@acme.example", "bo@acme.example"


def manual(**deadline) -> dict:
    return {
        "from": 10,
        "to": 20,
        "action": "manual",
        "approvers": [ANA, BO],
        "escalateAfterMinutes": 60,
        **deadline,
    }


def rule(**deadline) -> dict:
    return {
        "bands": [
            {"from": 0, "to": 10, "action": "authorize"},
            manual(**deadline),
            {"from": 20, "to": 100, "action": "deny"},
        ]
    }


@pytest.fixture
def team(owner, approver, second_approver):
    return owner


def errors_of(response) -> list[dict]:
    assert response.status_code == 400, response.json()
    return response.json()["errors"]


def test_a_band_stored_without_the_deadline_keys_keeps_waiting():
    old = {
        "from": "10.00",
        "to": "20.00",
        "action": "manual",
        "approvers": [ANA],
        "escalateAfterMinutes": 240,
    }
    stored = Band.from_dict(old)
    assert (stored.on_deadline, stored.deadline_minutes, stored.approve_up_to_cents) == (
        OnDeadline.WAIT,
        None,
        None,
    )
    assert decide_at_deadline(band=stored, paid_value_cents=1) is DeadlineVerdict.WAIT


@pytest.mark.parametrize(
    ("deadline", "paid", "verdict"),
    [
        ({"on_deadline": OnDeadline.DENY, "deadline_minutes": 120}, 10_000, DeadlineVerdict.DENY),
        (
            {"on_deadline": OnDeadline.APPROVE_UP_TO, "deadline_minutes": 120, "approve_up_to_cents": 5000},
            5000,
            DeadlineVerdict.APPROVE,
        ),
        (
            {"on_deadline": OnDeadline.APPROVE_UP_TO, "deadline_minutes": 120, "approve_up_to_cents": 5000},
            5001,
            DeadlineVerdict.ABOVE_CAP,
        ),
        ({}, 1, DeadlineVerdict.WAIT),
    ],
)
def test_the_deadline_decides_as_its_band_says_never_above_the_cap(deadline, paid, verdict):
    held_by = band(10, 20, "manual", [ANA, BO], 60, **deadline)
    assert decide_at_deadline(band=held_by, paid_value_cents=paid) is verdict


def test_the_pure_check_names_each_deadline_problem():
    errors, _ = check_bands(
        [
            band(0, 10, "authorize", on_deadline=OnDeadline.DENY, deadline_minutes=60),
            band(10, 20, "manual", [ANA, BO], 60, on_deadline=OnDeadline.DENY),
            band(20, 30, "manual", [ANA, BO], 60, on_deadline=OnDeadline.DENY, deadline_minutes=119),
            band(30, 40, "manual", [ANA, BO], 60, on_deadline=OnDeadline.APPROVE_UP_TO, deadline_minutes=120),
            band(40, 50, "manual", [ANA, BO], 60, deadline_minutes=120, approve_up_to_cents=10),
            band(50, 100, "manual", [ANA, BO], 60, on_deadline=OnDeadline.DENY, deadline_minutes=120),
        ]
    )
    assert [(error.band_index, error.field) for error in errors] == [
        (0, "onDeadline"),
        (1, "deadlineMinutes"),
        (2, "deadlineMinutes"),
        (3, "approveUpToCents"),
        (4, "deadlineMinutes"),
        (4, "approveUpToCents"),
    ]


def test_owner_sets_a_deadline_and_reads_it_back(api_client_for, team):
    client = api_client_for(team)
    response = client.put(
        URL, rule(onDeadline="approve-up-to", deadlineMinutes=120, approveUpToCents=15000), format="json"
    )
    assert response.status_code == 200, response.json()
    held_by = client.get(URL).json()["bands"][1]
    assert (held_by["onDeadline"], held_by["deadlineMinutes"], held_by["approveUpToCents"]) == (
        "approve-up-to",
        120,
        15000,
    )
    authorize = client.get(URL).json()["bands"][0]
    assert (authorize["onDeadline"], authorize["deadlineMinutes"], authorize["approveUpToCents"]) == (
        "wait",
        None,
        None,
    )
    (revision,) = RuleRevision.objects.all()
    assert revision.bands_after[1]["onDeadline"] == "approve-up-to"


def test_a_deadline_sooner_than_the_chain_is_refused_saying_the_least(api_client_for, team):
    response = api_client_for(team).put(URL, rule(onDeadline="deny", deadlineMinutes=119), format="json")
    assert errors_of(response) == [
        {
            "field": "bands[1].deadlineMinutes",
            "message": "The deadline must leave every approver their turn: at least 120 min "
            "(2 approvers × 60 min).",
        }
    ]
    assert RuleRevision.objects.count() == 0


def test_a_deny_deadline_needs_its_minutes(api_client_for, team):
    response = api_client_for(team).put(URL, rule(onDeadline="deny"), format="json")
    assert errors_of(response) == [
        {
            "field": "bands[1].deadlineMinutes",
            "message": "Say after how many minutes from the hold the deadline comes.",
        }
    ]


@pytest.mark.parametrize(
    ("deadline", "field", "message"),
    [
        (
            {"onDeadline": "approve-up-to", "deadlineMinutes": 120},
            "bands[1].approveUpToCents",
            "Name the most paid value the deadline approves (above zero).",
        ),
        (
            {"onDeadline": "deny", "deadlineMinutes": 120, "approveUpToCents": 100},
            "bands[1].approveUpToCents",
            "Only a deadline that approves up to a cap has a cap: leave it empty.",
        ),
        (
            {"onDeadline": "approve-up-to", "deadlineMinutes": 120, "approveUpToCents": 0},
            "bands[1].approveUpToCents",
            "Ensure this value is greater than or equal to 1.",
        ),
        ({"onDeadline": "later"}, "bands[1].onDeadline", '"later" is not a valid choice.'),
        (
            {"onDeadline": "deny", "deadlineMinutes": 120.5},
            "bands[1].deadlineMinutes",
            "A whole number is required, written without a fraction or an exponent.",
        ),
    ],
)
def test_a_cap_is_for_and_only_for_approve_up_to(api_client_for, team, deadline, field, message):
    response = api_client_for(team).put(URL, rule(**deadline), format="json")
    assert errors_of(response) == [{"field": field, "message": message}]
    assert RuleRevision.objects.count() == 0


def test_only_a_manual_band_has_a_deadline(api_client_for, team):
    body = rule()
    body["bands"][2].update(onDeadline="deny", deadlineMinutes=60)
    response = api_client_for(team).put(URL, body, format="json")
    assert errors_of(response) == [
        {"field": "bands[2].onDeadline", "message": "Only a band held for approval has a deadline."}
    ]


def test_a_rule_read_and_put_back_as_it_is_saves(api_client_for, team):
    """The nulls the API answers for a band that waits are taken back."""
    client = api_client_for(team)
    client.put(URL, rule(), format="json")
    read = client.get(URL).json()
    response = client.put(URL, {"bands": read["bands"]}, format="json")
    assert response.status_code == 200, response.json()


# The rule editor of the admin (without JavaScript).


def deadline_post(**fields) -> dict:
    data = formset_data((0, 10, "authorize"), (10, 20, "manual", [ANA, BO], 60), (20, 100, "deny"))
    data.update({f"bands-1-{name}": value for name, value in fields.items()})
    return data


def test_the_editor_saves_a_deadline_with_its_cap_typed_as_money(
    owner_client, account, approver, second_approver
):
    response = owner_client.post(
        rule_url("editor", account),
        deadline_post(on_deadline="approve-up-to", deadline_minutes="120", approve_up_to="1.234,56"),
        HTTP_ACCEPT_LANGUAGE="pt-br",
    )
    assert response.status_code == 302
    held_by = rule_bands(rule=rule_of(account=account))[1]
    assert (held_by.on_deadline, held_by.deadline_minutes, held_by.approve_up_to_cents) == (
        OnDeadline.APPROVE_UP_TO,
        120,
        123456,
    )
    page = owner_client.get(rule_url("editor", account)).text
    assert input_value(page, "bands-1-deadline_minutes") == "120"
    assert input_value(page, "bands-1-approve_up_to") == "1,234.56"
    assert '<option value="approve-up-to" selected>' in cell_html(page, 1, "on_deadline")


def test_the_editor_shows_a_deadline_problem_next_to_its_field(
    owner_client, account, approver, second_approver
):
    response = owner_client.post(
        rule_url("editor", account), deadline_post(on_deadline="deny", deadline_minutes="90")
    )
    assert response.status_code == 200
    assert (
        "The deadline must leave every approver their turn: at least 120 min (2 approvers × 60 min)."
        in cell_html(response.text, 1, "on_deadline")
    )
    assert rule_of(account=account) is None
    response = owner_client.post(
        rule_url("editor", account), deadline_post(on_deadline="approve-up-to", deadline_minutes="120")
    )
    assert "Name the most paid value the deadline approves (above zero)." in cell_html(
        response.text, 1, "on_deadline"
    )
    response = owner_client.post(
        rule_url("editor", account),
        deadline_post(on_deadline="approve-up-to", deadline_minutes="120", approve_up_to="lots"),
    )
    assert "Enter an amount of money, such as 1,234.56." in cell_html(response.text, 1, "on_deadline")
    assert rule_of(account=account) is None


def test_the_editor_drops_what_the_chosen_deadline_does_not_read(
    owner_client, account, approver, second_approver
):
    """Minutes left typed under "keep waiting", a cap under "deny": as the approvers of a band that authorizes."""
    owner_client.post(rule_url("editor", account), deadline_post(on_deadline="wait", deadline_minutes="500"))
    assert rule_bands(rule=rule_of(account=account))[1].deadline_minutes is None
    owner_client.post(
        rule_url("editor", account),
        deadline_post(on_deadline="deny", deadline_minutes="500", approve_up_to="10"),
    )
    held_by = rule_bands(rule=rule_of(account=account))[1]
    assert (held_by.on_deadline, held_by.deadline_minutes, held_by.approve_up_to_cents) == (
        OnDeadline.DENY,
        500,
        None,
    )


def test_the_history_says_the_deadline_and_its_change(
    owner_client, account, owner, approver, second_approver
):
    owner_client.post(rule_url("editor", account), deadline_post(on_deadline="deny", deadline_minutes="120"))
    owner_client.post(
        rule_url("editor", account),
        deadline_post(on_deadline="approve-up-to", deadline_minutes="180", approve_up_to="50"),
    )
    history = owner_client.get(rule_url("rule_history", account)).text
    assert (
        "<del>10–20 %: Hold for approval by ana@acme.example, bo@acme.example (escalating after 60 min); "
        "at the deadline, denied as expired 120 min after the hold</del>"
    ) in history
    assert (
        "<ins>10–20 %: Hold for approval by ana@acme.example, bo@acme.example (escalating after 60 min); "
        "at the deadline, approved 180 min after the hold if paid is at most R$50.00, else kept waiting</ins>"
    ) in history


def test_the_preview_says_what_the_deadline_does(owner_client, account, approver, second_approver):
    data = deadline_post(on_deadline="deny", deadline_minutes="120")
    answer = owner_client.post(rule_url("preview", account), {**data, "at": "15"}).json()
    assert answer["decision"]["band"]["onDeadline"] == "deny"
    assert answer["decision"]["summary"].endswith(
        "At the deadline it is denied as expired 120 min after the hold."
    )


def test_a_stored_band_reads_back_as_it_was_saved_and_one_stored_before_deadlines_keeps_waiting():
    saved = band(10, 20, "manual", [ANA, BO], 60, on_deadline=OnDeadline.DENY, deadline_minutes=180)
    assert Band.from_dict(saved.as_dict()) == saved
    older = Band.from_dict({"from": "10.00", "to": "20.00", "action": "manual"})
    assert older == band(10, 20, "manual", (), 240)  # no approvers, the default escalation, waiting
    assert (older.on_deadline, older.deadline_minutes, older.approve_up_to_cents) == (
        OnDeadline.WAIT,
        None,
        None,
    )


def test_each_deadline_problem_says_what_to_change_on_its_field():
    waiting_with_minutes = band(10, 20, "manual", [ANA], 60, deadline_minutes=120)
    lone_and_early = band(10, 20, "manual", (), 240, on_deadline=OnDeadline.DENY, deadline_minutes=100)
    capped_at_one_cent = band(
        10,
        20,
        "manual",
        [ANA],
        60,
        on_deadline=OnDeadline.APPROVE_UP_TO,
        deadline_minutes=60,
        approve_up_to_cents=1,
    )
    assert [(p.message, p.band_index, p.field) for p in deadline_problems(waiting_with_minutes, 1)] == [
        ("A band that keeps waiting has no deadline: leave the minutes empty.", 1, "deadlineMinutes")
    ]
    assert [(p.message, p.field) for p in deadline_problems(lone_and_early, 0)] == [
        (
            "The deadline must leave every approver their turn: at least 240 min (1 approvers × 240 min).",
            "deadlineMinutes",
        )
    ]
    assert deadline_problems(capped_at_one_cent, 1) == []  # a cent is above zero
