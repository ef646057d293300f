"""The dashboard says what the orders placed through the real flow and decided by the rule add up to."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from accounts.roles import Role
from accounts.services import membership_set
from tests.factories import UserFactory, member
from tests.insight.conftest import DASHBOARD
from tests.orders.payloads import order_body
from tests.support.dashboard import caption, numbers, tile
from tests.support.pages import page


def test_the_dashboard_adds_up_what_the_rule_decided(client, owner, placed):
    client.force_login(owner)
    text = page(client, DASHBOARD)

    assert (tile(text, "decided"), tile(text, "waiting"), tile(text, "waiting-value")) == (
        "5",
        "1",
        "R$25.71",
    )
    divergence = caption(text, "divergence")
    assert ": 2 without divergence, 3 (60 %) with one." in divergence
    assert "Half of those diverged by less than 15.5 %, nine in ten by less than 34 %." in divergence
    assert "Of all of them: 1 authorized; 1 held for approval; 1 denied." in divergence
    assert "today's bands, 0–5 %: authorize; 5–20 %: hold for approval; 20–100 %: deny." in divergence
    assert numbers(text, "divergence") == [
        ["0 % (none)", "2"],
        ["2–2.5 %", "1"],
        ["15–15.5 %", "1"],
        ["33.5–34 %", "1"],
    ]
    assert (
        "no divergence: 2; authorized by 0–5 %: 1; held for approval by 5–20 %: 1; denied by 20–100 %: 1"
        in (caption(text, "decisions"))
    )
    assert caption(text, "queue-age").startswith("1 order waits for a decision; the oldest has waited ")
    assert "Waiting under 1 hour: 1. None has been passed on to a 2nd approver yet." in caption(
        text, "queue-age"
    )
    assert caption(text, "value-waiting") == (
        "R$25.71 waits for a decision (the seller's price of those orders: R$30.25); "
        "R$0.00 of it has waited a day or more."
    )
    assert caption(text, "connectors") == (
        "SkyHub (MKP) had the most divergence: 3 of 5 orders (60 %), paid R$15.54 less than the seller's prices."
    )
    # No item line diverged: the orders diverged in their totals, and the SKUs' picture says so.
    assert caption(text, "skus") == (
        "No item was sold at a price other than the seller's: the 3 orders that diverged "
        "(seller's prices − paid: R$15.54) diverged in their totals — freight, taxes, "
        "or a discount or fee the marketplace applied to the whole order."
    )
    assert caption(text, "approvers") == "No order was approved or denied in the period."


def test_every_picture_is_an_image_with_a_title_and_a_description(client, owner, placed):
    client.force_login(owner)
    text = page(client, DASHBOARD)

    pictures = re.findall(r'<svg class="insight-chart"[^>]*role="img"[^>]*aria-labelledby="([^"]+)"', text)
    assert len(pictures) == 7
    for labelled_by in pictures:
        title, desc = labelled_by.split()
        assert re.search(rf'<title id="{title}">[^<]+</title>', text)
        assert re.search(rf'<desc id="{desc}">[^<]+</desc>', text)
    assert text.count('class="tone-bar"') == 3  # the three divergent orders' steps in the histogram
    assert 'class="band band-manual"' in text


def test_an_approval_shows_in_the_time_to_decision(client, owner, approver, placed, api_client_for):
    response = api_client_for(approver).post("/api/orders/MKP-M1/approve?an=acme", {}, format="json")
    assert response.status_code == 200, response.json()

    client.force_login(owner)
    text = page(client, DASHBOARD)

    assert caption(text, "approvers").startswith(
        "1 approver decided 1 order in the period. ana@acme.example: 1 decided"
    )
    assert tile(text, "waiting") == "0"
    assert caption(text, "queue-age") == "No order waits for approval."
    assert numbers(text, "approvers")[0][:3] == ["ana@acme.example", "1", "0"]


def test_a_period_before_the_orders_shows_none_of_them_but_the_queue_as_it_is(client, owner, placed):
    client.force_login(owner)
    text = page(client, DASHBOARD, period="custom", first="2020-01-01", last="2020-01-31")

    assert "acme, Jan. 1, 2020 – Jan. 31, 2020 (31 days)." in text
    assert tile(text, "decided") == "0"
    assert caption(text, "divergence").startswith("No order was decided from Jan. 1, 2020 to Jan. 31, 2020.")
    assert tile(text, "waiting") == "1"


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2024-02-01", "2024-01-01", "The period must start before it ends."),
        ("2020-01-01", "2024-01-01", "Choose at most 366 days."),
        ("", "2024-01-01", "Give both days of a custom period."),
    ],
)
def test_a_wrong_custom_period_is_explained_and_the_last_30_days_shown(
    client, owner, placed, first, last, message
):
    client.force_login(owner)
    text = page(client, DASHBOARD, period="custom", first=first, last=last)

    assert f"{message} Showing the last 30 days." in text
    assert tile(text, "decided") == "5"


def test_the_day_is_the_accounts_day(client, owner, placed, account):
    """An order decided late in the evening UTC counts on the next day in Tokyo."""
    account.time_zone = "Asia/Tokyo"
    account.save()
    client.force_login(owner)
    today_in_tokyo = timezone.localtime(timezone.now(), __import__("zoneinfo").ZoneInfo("Asia/Tokyo")).date()

    text = page(client, DASHBOARD, period="7")

    assert f"to {date_format(today_in_tokyo)}" in caption(text, "decisions")
    assert "Days are in acme’s time zone (Asia/Tokyo)." in text


@pytest.mark.parametrize("role", ["viewer", "approver", "oms_full"])
def test_every_member_of_the_account_sees_its_dashboard(request, client, placed, role):
    client.force_login(request.getfixturevalue(role))
    assert tile(page(client, DASHBOARD), "decided") == "5"


def test_another_accounts_dashboard_is_neither_offered_nor_shown(client, placed, account, other_account):
    stranger = member(other_account, Role.OWNER, "owner@globex.example")
    client.force_login(stranger)

    text = page(client, DASHBOARD, account=account.pk)

    assert "Dashboard of globex" in text
    assert tile(text, "decided") == "0"
    assert "acme" not in text


def test_a_member_of_two_accounts_chooses_which(client, placed, account, other_account, owner):
    membership_set(user=owner, account=other_account, role=Role.VIEWER)
    client.force_login(owner)

    text = page(client, DASHBOARD, account=account.pk)

    assert re.search(rf'<option value="{account.pk}" selected>acme</option>', text)
    assert f'<option value="{other_account.pk}">globex</option>' in text
    assert tile(text, "decided") == "5"
    assert tile(page(client, DASHBOARD, account=other_account.pk), "decided") == "0"


def test_the_admin_index_links_the_dashboard_for_members_only(client, owner, db):
    client.force_login(owner)
    assert 'href="/admin/insight/dashboard/"' in page(client, "/admin/")

    loner = UserFactory(email="loner@nowhere.example")
    client.force_login(loner)
    assert 'href="/admin/insight/dashboard/"' not in client.get("/admin/").content.decode()
    assert client.get(DASHBOARD).status_code == 403


def test_the_dashboard_asks_for_a_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_queries_do_not_grow_with_the_orders(client, owner, mkp, placed):
    client.force_login(owner)
    page(client, DASHBOARD)  # sessions, permissions and the like, once
    with CaptureQueriesContext(connection) as before:
        page(client, DASHBOARD)
    for number in range(4):
        mkp.place(order_body(marketplaceOrderId=f"MORE{number}", marketplacePaymentValue=2950 - number))
    with CaptureQueriesContext(connection) as after:
        text = page(client, DASHBOARD)

    assert tile(text, "decided") == "9"
    assert len(after.captured_queries) == len(before.captured_queries) <= 20


def test_an_order_decided_before_the_period_is_left_out(client, owner, placed):
    from insight.models import DailyDecisionStat

    DailyDecisionStat.objects.filter(outcome="deny").update(day=timezone.localdate() - timedelta(days=40))
    client.force_login(owner)

    text = page(client, DASHBOARD)

    assert tile(text, "decided") == "4"
    assert "denied" not in caption(text, "decisions")


def test_a_count_axis_counts_in_whole_numbers_and_an_empty_picture_has_no_axis(client, owner, placed):
    client.force_login(owner)
    text = page(client, DASHBOARD)

    connectors = re.search(r'id="chart-connectors".*?</svg>', text, re.S).group(0)
    assert re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]*)</text>', connectors) == [
        "0",
        "3",
        "6",
    ]
    approvers = re.search(r'id="chart-approvers".*?</svg>', text, re.S).group(0)
    assert "Nothing to draw" in approvers and "average time to decision" not in approvers
