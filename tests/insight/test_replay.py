"""Replaying past orders under a draft rule gives exactly what processing would decide."""

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from authorization.decision import HUNDRED, ConnectorFacts, Outcome, SubmissionFacts, decide_submission
from authorization.services import rule_replace
from insight.models import DecisionRecord
from insight.replay import replay_draft
from tests.connector_client import ConnectorClient
from tests.factories import band, connector, member
from tests.insight.conftest import ANA, BO, bands_of_the_rule
from tests.orders.payloads import order_body
from tests.support.pages import markup, section, text_of
from tests.support.rule_editor import formset_data, rule_url

DRAFTS = {
    "authorize up to 16 %": [
        band(0, 16, "authorize"),
        band(16, 20, "manual", [ANA, BO]),
        band(20, 100, "deny"),
    ],
    "the rule as it is": bands_of_the_rule(),
    "a gap from 10 to 30 %": [band(0, 10, "authorize"), band(30, 100, "manual", [ANA])],
    "deny everything": [band(0, 100, "deny")],
    "no rule at all": [],
}


def expected(account, bands):
    """Decide every record again, one by one, the long way: what the replay must add up to."""
    actual, draft, changed = Counter(), Counter(), []
    for record in DecisionRecord.objects.filter(account=account).order_by("-decided_at", "-pk"):
        result = decide_submission(
            facts=SubmissionFacts(
                connector=ConnectorFacts.of(record.connector),
                divergence_percent=record.divergence_percent,
                item_divergences=tuple(Decimal(value) for value in record.item_divergences),
                allowance_rate=None
                if record.allowance_percent is None
                else record.allowance_percent / HUNDRED,
                ignore_divergence=record.ignore_divergence,
            ),
            bands=bands,
            has_rule=bool(bands),
            no_rule_policy=account.no_rule_policy,
            overpayment_is_divergence=account.overpayment_is_divergence,
        ).outcome
        actual[record.outcome] += 1
        draft[result] += 1
        if result != record.outcome:
            changed.append((record.marketplace_order_id, record.outcome, result))
    return actual, draft, changed


def tallies(side) -> Counter:
    return Counter({str(result): tally.orders for result, tally in side.items() if tally.orders})


@pytest.mark.parametrize("draft", DRAFTS, ids=list(DRAFTS))
def test_the_replay_adds_up_to_deciding_every_order_again(account, placed, draft):
    bands = DRAFTS[draft]

    answer = replay_draft(account=account, bands=bands)

    actual, drafted, changed = expected(account, bands)
    assert answer.replayed == 5
    assert tallies(answer.actual) == actual
    assert tallies(answer.draft) == drafted
    assert [(c.marketplace_order_id, c.actual, c.draft) for c in answer.changes] == changed
    assert answer.changed == len(changed)


def test_the_value_of_each_outcome_is_the_paid_value_of_its_orders(account, placed):
    answer = replay_draft(account=account, bands=DRAFTS["authorize up to 16 %"])

    assert answer.actual[Outcome.AUTHORIZE].paid_value_cents == 2950
    assert answer.draft[Outcome.AUTHORIZE].paid_value_cents == 2950 + 2571
    assert answer.draft[Outcome.MANUAL].paid_value_cents == 0
    assert (
        answer.actual[Outcome.NO_DIVERGENCE].paid_value_cents
        == answer.draft[Outcome.NO_DIVERGENCE].paid_value_cents
    )


def test_saving_the_draft_then_decides_new_orders_as_the_replay_said(account, owner, mkp, placed):
    """The proof: the same orders placed again after saving the draft get the replay's outcomes."""
    bands = DRAFTS["a gap from 10 to 30 %"]
    answer = replay_draft(account=account, bands=bands)
    replayed = {c.marketplace_order_id: c.draft for c in answer.changes}
    rule_replace(account=account, bands=bands, actor=owner)

    for marketplace_order_id, paid in (("A1", 2950), ("M1", 2571), ("D1", 2000)):
        mkp.place(
            order_body(marketplaceOrderId=f"again-{marketplace_order_id}", marketplacePaymentValue=paid)
        )

    for marketplace_order_id in ("A1", "M1", "D1"):
        processed = DecisionRecord.objects.get(marketplace_order_id=f"again-{marketplace_order_id}").outcome
        before = DecisionRecord.objects.get(marketplace_order_id=marketplace_order_id).outcome
        assert processed == replayed.get(marketplace_order_id, before)


def test_an_order_held_for_want_of_a_rule_is_replayed_under_the_draft(mkp, shop, connector_server, account):
    _, credentials = connector(
        account, endpoint=connector_server.url, type="native", name="Amazon", affiliate_id="AMZ"
    )
    ConnectorClient(mkp.client, credentials, mkp.capture).place(
        order_body(marketplaceOrderId="H1", marketplacePaymentValue=2571)
    )

    answer = replay_draft(account=account, bands=[band(0, 20, "authorize")])

    (change,) = answer.changes
    assert (change.marketplace_order_id, change.actual, change.draft) == (
        "H1",
        Outcome.HELD,
        Outcome.AUTHORIZE,
    )
    assert change.order_id is None and change.intake_id


def test_an_own_store_order_is_replayed_item_by_item(mkp, shop, connector_server, account, owner):
    rule_replace(account=account, bands=[band(0, 100, "authorize")], actor=owner)
    _, credentials = connector(
        account, endpoint=connector_server.url, type="own-store", name="Shop", affiliate_id="OWN"
    )
    # The order total matches, but its one item is sold 20 % below the catalog price.
    ConnectorClient(mkp.client, credentials, mkp.capture).place(
        order_body(
            marketplaceOrderId="O1",
            marketplacePaymentValue=2830,
            items=[{"id": "1", "price": 780, "quantity": 1}],
        )
    )
    bands = [band(0, 10, "authorize"), band(10, 100, "deny")]

    answer = replay_draft(account=account, bands=bands)

    assert [(c.marketplace_order_id, c.draft) for c in answer.changes] == [("O1", Outcome.DENY)]
    assert expected(account, bands)[2] == [("O1", "authorize", Outcome.DENY)]


def test_an_honoured_allowance_is_replayed_as_no_divergence(mkp, shop, connector_server, account, owner):
    rule_replace(account=account, bands=[band(0, 100, "deny")], actor=owner)
    _, credentials = connector(
        account, endpoint=connector_server.url, name="Allowing", affiliate_id="ALW", honour_allowance=True
    )
    ConnectorClient(mkp.client, credentials, mkp.capture).place(
        order_body(marketplaceOrderId="W1", marketplacePaymentValue=2950)  # 2.48 %, within the 5 % allowed
    )

    answer = replay_draft(account=account, bands=[band(0, 100, "manual", [ANA])])

    assert tallies(answer.actual) == Counter({"no-divergence": 1})
    assert answer.changed == 0


def test_only_the_last_days_and_the_newest_orders_are_replayed(account, placed):
    DecisionRecord.objects.filter(marketplace_order_id="D1").update(
        decided_at=timezone.now() - timedelta(days=8)
    )

    assert replay_draft(account=account, bands=[], days=7).replayed == 4
    assert replay_draft(account=account, bands=[], days=9).replayed == 5
    newest = replay_draft(account=account, bands=[], limit=2)
    assert (newest.replayed, newest.truncated) == (2, True)
    assert [change.marketplace_order_id for change in newest.changes] == ["M1", "A1"]


def test_an_empty_account_has_nothing_to_replay(other_account):
    answer = replay_draft(account=other_account, bands=bands_of_the_rule())
    assert (answer.replayed, answer.changed, answer.changes) == (0, 0, [])


# The view in the rule editor


def replay_url(account):
    return (
        reverse("admin:authorization_pricedivergencerule_replay", kwargs={"account_id": account.pk})
        + "?fragment=1"
    )


DRAFT_16 = formset_data((0, 16, "authorize"), (16, 20, "manual", [ANA, BO]), (20, 100, "deny"))


def test_the_owner_replays_the_posted_draft(client, owner, account, placed):
    client.force_login(owner)

    response = client.post(replay_url(account), {**DRAFT_16, "replay_days": "30"})

    text = markup(response)
    assert response.status_code == 200
    assert (
        "Replayed 5 orders decided in the last 30 days. Under this rule 1 would change outcome: "
        "1 authorized instead of held for approval." in text
    )
    row = re.search(r'<tr class="replay-row-authorize">(.*?)</tr>', text, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", row) == ["1", "2", "+1", "R$29.50", "R$55.21", "+R$25.71"]
    held = DecisionRecord.objects.get(marketplace_order_id="M1").order
    assert f'<a href="/admin/orders/order/{held.pk}/change/">MKP-M1</a>' in text
    assert 'role="img"' in text


def test_a_denied_submission_links_to_its_connection_order(client, owner, account, placed):
    client.force_login(owner)
    data = formset_data((0, 40, "authorize"), (40, 100, "deny"))

    text = markup(client.post(replay_url(account), data))

    denied = DecisionRecord.objects.get(marketplace_order_id="D1")
    assert f'<a href="/admin/orders/intakerecord/{denied.intake_id}/change/">MKP-D1</a>' in text


def test_a_draft_that_could_not_be_saved_is_not_replayed(client, owner, account, placed):
    client.force_login(owner)
    data = formset_data((0, 30, "authorize"), (20, 100, "manual", []))

    response = client.post(replay_url(account), data)

    assert response.status_code == 400
    text = text_of(response.content.decode())
    assert "Correct the draft to replay it" in text
    assert "A band held for approval needs at least one approver." in text
    assert "Replayed" not in text


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_a_member_who_cannot_edit_replays_the_saved_rule(request, client, account, placed, role):
    client.force_login(request.getfixturevalue(role))

    text = markup(client.post(replay_url(account), DRAFT_16))

    assert "every one of them would have the same outcome" in text
    assert "This replays the saved rule" in text


def test_a_stranger_finds_no_replay(client, account, other_account, placed):
    client.force_login(member(other_account, Role.OWNER, "owner@globex.example"))

    assert client.post(replay_url(account), DRAFT_16).status_code == 404


def test_without_javascript_the_replay_is_a_page(client, owner, account, placed):
    client.force_login(owner)
    url = replay_url(account).removesuffix("?fragment=1")

    text = markup(client.post(url, DRAFT_16))

    assert "<title>Replay of the price divergence rule of acme" in text
    assert "1 authorized instead of held for approval" in text
    assert "0–16 %: Authorize" in text
    assert client.get(url).status_code == 302


def test_the_editor_offers_the_replay(client, owner, account, rule):
    client.force_login(owner)
    editor = rule_url("editor", account)

    text = markup(client.get(editor))

    assert 'formaction="' + replay_url(account).removesuffix("?fragment=1") + '"' in text
    assert 'name="replay_days" form="rule-form"' in text


def test_the_replay_says_what_the_drafts_deadlines_would_do_to_the_orders_it_holds(
    client, owner, account, placed
):
    """M1 (paid R$25.71, 15.01 %) and D1 (R$20.00, 33.88 %) held: one approved up to its cap, one denied."""
    client.force_login(owner)
    draft = formset_data(
        (0, 5, "authorize"), (5, 20, "manual", [ANA, BO], 60), (20, 100, "manual", [ANA, BO], 60)
    )
    draft.update(
        {
            "bands-1-on_deadline": "approve-up-to",
            "bands-1-deadline_minutes": "120",
            "bands-1-approve_up_to": "25.71",
            "bands-2-on_deadline": "deny",
            "bands-2-deadline_minutes": "180",
        }
    )

    response = client.post(replay_url(account), {**draft, "replay_days": "30"})

    deadlines = section(markup(response), "replay-deadlines")
    assert (
        "The band 5–20 %: at the deadline, approved 120 min after the hold if paid is at most R$25.71, "
        "else kept waiting." in deadlines
    )
    assert "The band 20–100 %: at the deadline, denied as expired 180 min after the hold." in deadlines
    assert (
        "Of the orders this rule would hold, if nobody decided them by their deadline: 1 (R$20.00) denied "
        "as expired, 1 (R$25.71) approved, 0 (R$0.00) kept waiting above the cap." in deadlines
    )


def test_a_draft_without_deadlines_says_nothing_of_them(client, owner, account, placed):
    client.force_login(owner)
    response = client.post(replay_url(account), {**DRAFT_16, "replay_days": "30"})
    assert 'id="replay-deadlines"' not in markup(response)
