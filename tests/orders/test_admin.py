"""What the seller sees of intake in the admin: connection orders, reprocessing, and the order page."""

import re

import pytest

from authorization.decision import BandAction
from authorization.services import rule_replace
from catalog.models import Stock
from orders.models import IntakeRecord, Order
from tests.connector_client import ConnectorClient
from tests.factories import band, connector
from tests.orders.payloads import order_body
from tests.support.i18n import english_left
from tests.support.pages import markup, page

INTAKES = "/admin/orders/intakerecord/"
ORDERS = "/admin/orders/order/"
PAID_15_PERCENT_LESS = 2571  # the seller expects 3025: 15.01 %


def intake_url(intake):
    return f"{INTAKES}{intake.pk}/change/"


def reprocess_url(intake):
    return f"{INTAKES}{intake.pk}/reprocess/"


def order_url(order):
    return f"{ORDERS}{order.pk}/change/"


def placing_as(mkp, connector_server, account, an="acme", **kind):
    """Return a function placing orders as a new connector of `account` (`kind`: its fields)."""
    _, credentials = connector(account, endpoint=connector_server.url, **kind)
    client = ConnectorClient(mkp.client, credentials, mkp.capture)
    return lambda body: client.place(body, an=an)


@pytest.fixture
def deny_above_ten(shop, owner):
    rule_replace(account=shop.account, bands=[band(0, 10, "authorize"), band(10, 100, "deny")], actor=owner)


@pytest.fixture
def denied(mkp, deny_above_ten):
    """An order the rule denies: 15 % below the seller's price."""
    mkp.place(order_body(marketplaceOrderId="D1", marketplacePaymentValue=PAID_15_PERCENT_LESS))
    intake = IntakeRecord.objects.get(marketplace_order_id="D1")
    assert intake.status == "rejected"
    return intake


@pytest.fixture
def held_native(mkp, shop, connector_server):
    """An Amazon order with a divergence, held because the account has no rule yet."""
    amazon = placing_as(mkp, connector_server, shop.account, type="native", name="Amazon", affiliate_id="AMZ")
    amazon(order_body(marketplaceOrderId="A1", marketplacePaymentValue=PAID_15_PERCENT_LESS))
    intake = IntakeRecord.objects.get(marketplace_order_id="A1")
    assert intake.status == "held"
    return intake


# The connection orders list


def test_owner_sees_every_submission_with_status_code_and_errors(client, owner, mkp, denied):
    mkp.place(order_body(marketplaceOrderId="OK1"))
    client.force_login(owner)
    listing = page(client, INTAKES)
    assert "OK1" in listing and "D1" in listing
    assert "Integrated" in listing and "Rejected" in listing
    assert "EOI003" in listing and "SOI001" in listing
    assert "Price divergence of 15.01 %: the rule denies 10.00–100.00 %" in listing
    assert f'href="/admin/connectors/notification/?intake__id__exact={denied.pk}"' in listing
    integrated = Order.objects.get(marketplace_order_id="OK1")
    assert f'href="/admin/orders/order/{integrated.pk}/change/"' in listing
    assert "MKP-OK1" in listing
    notifications = page(client, f"/admin/connectors/notification/?intake__id__exact={denied.pk}")
    assert ">D1<" in notifications and "MKP-OK1" not in notifications


def test_connection_orders_of_another_account_are_invisible(
    client, owner, mkp, connector_server, other_account
):
    mkp.place(order_body(marketplaceOrderId="OURS"))
    globex = placing_as(mkp, connector_server, other_account, an="globex", name="Globex", affiliate_id="GLX")
    globex(order_body(marketplaceOrderId="THEIRS"))
    theirs = IntakeRecord.objects.get(marketplace_order_id="THEIRS")
    client.force_login(owner)
    listing = page(client, INTAKES)
    assert "OURS" in listing
    assert "THEIRS" not in listing and "Globex" not in listing
    assert client.get(intake_url(theirs), follow=True).redirect_chain[-1][0] == "/admin/"


def test_detail_shows_the_body_the_errors_and_the_notifications(client, viewer, denied):
    client.force_login(viewer)
    detail = page(client, intake_url(denied))
    assert '"marketplacePaymentValue": 2571' in detail
    assert "FMT007" in detail and "Payment total (2571) differs from store desired value (3025)" in detail
    notification = denied.notifications.get()
    assert f'href="/admin/connectors/notification/{notification.pk}/change/"' in detail
    assert "EOI003" in detail and "Delivered" in detail


def test_held_native_order_tells_the_seller_to_configure_a_rule(client, owner, held_native):
    client.force_login(owner)
    listing = page(client, INTAKES)
    assert "Held" in listing
    assert (
        "The order price in the marketplace is different from the price determined by the seller." in listing
    )
    detail = page(client, intake_url(held_native))
    assert "To automatically integrate orders with price divergence, go to Order authorization and " in detail
    assert "configure a Price Divergence rule." in detail
    assert "It is reprocessed automatically as soon as the account has a rule" in detail
    assert 'href="/admin/authorization/pricedivergencerule/' in detail


def test_a_new_rule_reprocesses_the_held_native_order(
    client, owner, held_native, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rule_replace(account=held_native.account, bands=[band(0, 100, "authorize")], actor=owner)
    client.force_login(owner)
    detail = page(client, intake_url(held_native))
    assert "Integrated" in detail and "SOI001" in detail
    assert "configure a Price Divergence rule" not in detail
    assert "AMZ-A1" in detail


# Reprocessing


def test_owner_ignores_the_divergence_and_the_denied_order_is_integrated(
    client, owner, denied, connector_server, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    detail = page(client, intake_url(denied))
    assert "Ignore divergence and reprocess" in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reprocess_url(denied), {"ignore_divergence": "1", "confirm": "yes"})
    assert response.status_code == 302
    detail = page(client, intake_url(denied))
    assert "D1: sent for reprocessing ignoring the divergence" in detail
    assert "Integrated" in detail and "SOI001" in detail
    assert "by owner@acme.example ignoring the divergence" in detail
    order = Order.objects.get(marketplace_order_id="D1")
    assert order.decision_reason == "ignored-divergence"
    assert [body["code"] for body in connector_server.bodies()][-1] == "SOI001"
    order_page = page(client, order_url(order))
    assert "Divergence ignored on reprocessing." in order_page
    assert "owner@acme.example" in order_page


def test_plain_reprocess_of_a_denied_order_rejects_it_again(
    client, oms_full, denied, django_capture_on_commit_callbacks
):
    client.force_login(oms_full)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reprocess_url(denied), {"ignore_divergence": "0", "confirm": "yes"})
    denied.refresh_from_db()
    assert (denied.status, denied.code, denied.attempts) == ("rejected", "EOI003", 2)
    assert Order.objects.filter(marketplace_order_id="D1").count() == 0


def test_reprocess_action_in_the_list_reports_each_record(
    client, owner, mkp, held_native, django_capture_on_commit_callbacks
):
    mkp.place(order_body(marketplaceOrderId="OK1"))
    done = IntakeRecord.objects.get(marketplace_order_id="OK1")
    # Without a rule, an external connector's order with a divergence is denied.
    mkp.place(order_body(marketplaceOrderId="D1", marketplacePaymentValue=PAID_15_PERCENT_LESS))
    denied = IntakeRecord.objects.get(marketplace_order_id="D1", status="rejected")
    client.force_login(owner)
    assert "Ignore divergence and reprocess" in page(client, INTAKES)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            INTAKES,
            {
                "action": "reprocess_ignoring_divergence",
                "_selected_action": [denied.pk, held_native.pk, done.pk],
            },
        )
    listing = page(client, INTAKES)
    assert "MKP D1: sent for reprocessing ignoring the divergence" in listing
    assert "AMZ A1: sent for reprocessing ignoring the divergence" in listing
    assert "MKP OK1: not reprocessed, it is integrated; only held, rejected or failed" in listing
    assert set(Order.objects.values_list("main_order_id", flat=True)) == {"MKP-OK1", "MKP-D1", "AMZ-A1"}


def test_reprocessing_asks_first_and_says_what_will_happen(
    client, owner, denied, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    detail = page(client, intake_url(denied))
    assert f'href="{reprocess_url(denied)}"' in detail
    assert f'href="{reprocess_url(denied)}?ignore_divergence=1"' in detail
    asking = page(client, reprocess_url(denied))
    assert 'class="breadcrumbs"' in asking
    assert "Marketplace order <strong>D1</strong> from <strong>SkyHub (MKP)</strong>" in asking
    assert "paid <strong>R$25.71</strong>" in asking
    assert "go through pricing and the price divergence rule again" in asking
    assert f'href="{intake_url(denied)}" class="button cancel-link"' in asking
    ignoring = page(client, f"{reprocess_url(denied)}?ignore_divergence=1")
    assert "authorized without looking at its price divergence" in ignoring
    assert 'name="ignore_divergence" value="1"' in ignoring
    with django_capture_on_commit_callbacks(execute=True):
        # A button of a page from before reprocessing asked first, posting without the confirmation.
        unconfirmed = client.post(reprocess_url(denied), {"ignore_divergence": "1"})
    assert unconfirmed.status_code == 200
    assert "authorized without looking at its price divergence" in unconfirmed.content.decode()
    denied.refresh_from_db()
    assert (denied.status, denied.attempts, denied.reprocessed_at) == ("rejected", 1, None)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("accept", "language", "paid"), [("pt-BR", "pt_BR", "R$\xa025,71"), ("es", "es", "25,71\xa0BRL")]
)
def test_the_confirmation_speaks_the_readers_language_and_currency(
    client, owner, denied, accept, language, paid
):
    client.force_login(owner)
    for query in ("", "?ignore_divergence=1"):
        shown = markup(client.get(f"{reprocess_url(denied)}{query}", HTTP_ACCEPT_LANGUAGE=accept))
        shown = re.sub(r'(?s)<nav class="sticky" id="nav-sidebar".*?</nav>', " ", shown)
        assert english_left(shown, language) == []
        assert paid in shown


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_viewer_and_approver_cannot_reprocess(
    request, client, denied, role, django_capture_on_commit_callbacks
):
    client.force_login(request.getfixturevalue(role))
    detail = page(client, intake_url(denied))
    assert "Ignore divergence and reprocess" not in detail
    assert ">Reprocess</a>" not in detail and reprocess_url(denied) not in detail
    assert "reprocess" not in page(client, INTAKES)
    assert client.get(reprocess_url(denied)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = {"ignore_divergence": "1", "confirm": "yes"}
        assert client.post(reprocess_url(denied), confirmed).status_code == 403
        client.post(INTAKES, {"action": "reprocess_ignoring_divergence", "_selected_action": [denied.pk]})
    denied.refresh_from_db()
    assert (denied.status, denied.attempts, denied.reprocessed_at) == ("rejected", 1, None)
    assert not Order.objects.exists()


def test_nobody_edits_or_deletes_a_connection_order(client, owner, denied):
    client.force_login(owner)
    detail = page(client, intake_url(denied))
    assert 'name="_save"' not in detail
    assert client.get(f"{INTAKES}{denied.pk}/delete/").status_code == 403
    assert client.get(f"{INTAKES}add/").status_code == 403


# The order page


@pytest.fixture
def discounted_order(mkp, shop, owner):
    """The marketplace sells the 9.75 shirt at 9.00; the rule authorizes up to 10 %."""
    rule_replace(account=shop.account, bands=[band(0, 10, "authorize"), band(10, 100, "deny")], actor=owner)
    mkp.place(
        order_body(
            marketplaceOrderId="SALE",
            items=[{"id": "1", "price": 900, "quantity": 1}],
            marketplacePaymentValue=2950,
        )
    )
    return Order.objects.get(marketplace_order_id="SALE")


def test_order_list_shows_money_and_the_signed_divergence(client, viewer, discounted_order):
    client.force_login(viewer)
    listing = page(client, ORDERS)
    assert "MKP-SALE" in listing
    assert "29.50" in listing and "30.25" in listing
    assert "+2.48 %" in listing
    assert "Payment pending" in listing
    assert "authorize" in listing


def test_order_page_shows_items_side_by_side_events_and_notifications(client, viewer, discounted_order):
    client.force_login(viewer)
    detail = page(client, order_url(discounted_order))
    assert "Marketplace unit price" in detail and "Seller unit price" in detail
    assert "9.00" in detail and "9.75" in detail
    assert "+7.69 %" in detail  # the item's own divergence
    assert "WH1" in detail and "Express" in detail
    assert f"0.00–10.00 % {BandAction.AUTHORIZE.label}" in detail  # the band as it was
    assert "10.00 %" in detail and str(BandAction.DENY.label) in detail  # the rule as it was
    assert "connector SkyHub (MKP)" in detail
    assert "→ Payment pending" in detail
    assert "Authorized: in the band 0.00–10.00 % (Decided by the account’s rule)." in detail
    assert "SOI001 · Order integrated" in detail and "Delivered" in detail
    assert 'name="_save"' not in detail


def test_order_search_finds_by_customer_email_and_ids(client, viewer, discounted_order):
    client.force_login(viewer)
    assert "MKP-SALE" in page(client, f"{ORDERS}?q=email@email.com.br")
    assert "MKP-SALE" in page(client, f"{ORDERS}?q=MKP-SA")
    assert "MKP-SALE" not in page(client, f"{ORDERS}?q=someone@else.example")


def test_another_accounts_order_is_invisible(client, other_account, discounted_order):
    from tests.factories import member

    stranger = member(other_account, "owner", "owner@globex.example")
    client.force_login(stranger)
    assert "MKP-SALE" not in page(client, ORDERS)
    assert client.get(order_url(discounted_order), follow=True).redirect_chain[-1][0] == "/admin/"


# No query per row


@pytest.fixture
def twenty_orders(mkp, shop):
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=100)
    for number in range(20):
        mkp.place(order_body(marketplaceOrderId=str(number)))


@pytest.mark.parametrize("url", [ORDERS, INTAKES, "/admin/connectors/notification/"])
def test_lists_of_twenty_take_a_fixed_number_of_queries(
    client, owner, twenty_orders, url, django_assert_max_num_queries
):
    client.force_login(owner)
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.content.decode().count("MKP-1") >= 11  # MKP-1 and MKP-10 … MKP-19


# The date drill-down


@pytest.fixture
def orders_in_three_months(twenty_orders):
    """Orders created in January and March 2025 and in May 2026; none in February 2025."""
    from datetime import UTC, datetime

    moments = [datetime(2025, 1, 10, 12, tzinfo=UTC), datetime(2025, 3, 5, 12, tzinfo=UTC)]
    moments += [datetime(2026, 5, 20, 12, tzinfo=UTC)] * 18
    for order, moment in zip(Order.objects.order_by("pk"), moments, strict=True):
        Order.objects.filter(pk=order.pk).update(created_at=moment)


@pytest.mark.parametrize("url", [ORDERS, INTAKES])
def test_the_date_drill_down_and_filters_list_their_choices_without_scanning_for_distinct_values(
    client, viewer, orders_in_three_months, url
):
    from datetime import UTC, datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    IntakeRecord.objects.update(received_at=datetime(2025, 1, 10, 12, tzinfo=UTC))
    IntakeRecord.objects.filter(pk=IntakeRecord.objects.order_by("pk").last().pk).update(
        received_at=datetime(2026, 5, 20, 12, tzinfo=UTC)
    )
    client.force_login(viewer)
    field = "created_at" if url == ORDERS else "received_at"

    with CaptureQueriesContext(connection) as queries:
        years = page(client, url)
    assert not [query["sql"] for query in queries if "DISTINCT" in query["sql"].upper()]
    assert f'?{field}__year=2025">2025</a>' in years
    assert f'?{field}__year=2026">2026</a>' in years

    if url == ORDERS:
        months = page(client, f"{url}?{field}__year=2025")
        assert ">January 2025</a>" in months and ">March 2025</a>" in months
        assert ">February 2025</a>" in months  # between the first and the last: listed, and empty
        assert ">April 2025</a>" not in months
        days = page(client, f"{url}?{field}__year=2026&{field}__month=5")
        assert ">May 20</a>" in days and ">May 19</a>" not in days
        assert days.count("MKP-") >= 18
        assert "MKP-" not in page(client, f"{url}?{field}__year=2025&{field}__month=2")


def test_connection_orders_and_notifications_are_filtered_by_the_contracts_codes(
    client, viewer, twenty_orders
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(viewer)
    for url in (INTAKES, "/admin/connectors/notification/"):
        with CaptureQueriesContext(connection) as queries:
            page(client, url)
        assert not [query["sql"] for query in queries if "DISTINCT" in query["sql"].upper()]
        listing = page(client, f"{url}?code=SOI001")
        assert "SOI001 · Order integrated" in listing
        assert listing.count("MKP-1") >= 11
        assert "MKP-1" not in page(client, f"{url}?code=EOI003")


# Times in the account's time zone


@pytest.fixture
def order_at_noon_utc(twenty_orders):
    from datetime import UTC, datetime

    order = Order.objects.order_by("pk").first()
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 5, 20, 12, tzinfo=UTC))
    return Order.objects.get(pk=order.pk)


def test_a_user_sees_times_and_days_in_the_time_zone_of_their_account(client, viewer, order_at_noon_utc):
    from accounts.models import Account

    Account.objects.filter(name="acme").update(time_zone="Asia/Tokyo")  # UTC+9: already the 21st
    client.force_login(viewer)
    changed = page(client, order_url(order_at_noon_utc))
    assert "05/20/2026 9 p.m." in changed
    assert "Times in Asia/Tokyo" in changed
    listed = page(client, f"{ORDERS}?created_at__year=2026&created_at__month=5&created_at__day=20")
    assert order_at_noon_utc.main_order_id in listed  # the drill-down counts the day in Tokyo


def test_a_user_of_accounts_in_several_zones_sees_the_servers_and_is_told_so(
    client, viewer, other_account, order_at_noon_utc
):
    from accounts.models import Account
    from accounts.roles import Role
    from accounts.services import membership_set

    Account.objects.filter(name="acme").update(time_zone="Asia/Tokyo")
    Account.objects.filter(pk=other_account.pk).update(time_zone="America/Sao_Paulo")
    membership_set(user=viewer, account=other_account, role=Role.VIEWER)
    client.force_login(viewer)
    changed = page(client, order_url(order_at_noon_utc))
    assert "05/20/2026 noon" in changed
    assert "Times in UTC" in changed


def test_a_duplicate_is_not_offered_reprocessing_and_a_refusal_not_for_divergence_not_ignoring_it(
    client, owner, mkp, shop, django_capture_on_commit_callbacks
):
    mkp.place(order_body(marketplaceOrderId="DUP"))
    mkp.place(order_body(marketplaceOrderId="DUP", marketplacePaymentValue=3030))  # the same order, again
    duplicate = IntakeRecord.objects.get(marketplace_order_id="DUP", status="rejected")
    mkp.place(order_body(marketplaceOrderId="MANY", items=[{"id": "1", "price": 975, "quantity": 11}]))
    no_stock = IntakeRecord.objects.get(marketplace_order_id="MANY")
    assert (duplicate.code, no_stock.status) == ("EOI007", "rejected")
    client.force_login(owner)

    detail = page(client, intake_url(duplicate))
    assert "reprocessing it would be refused again, so it is not offered" in detail
    assert ">Reprocess</a>" not in detail and "Ignore divergence and reprocess" not in detail
    with django_capture_on_commit_callbacks(execute=True):
        client.post(INTAKES, {"action": "reprocess", "_selected_action": [duplicate.pk]})
    assert "MKP DUP: not reprocessed, it is a duplicate of an order that exists already" in page(
        client, INTAKES
    )
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.attempts) == ("rejected", 1)

    detail = page(client, intake_url(no_stock))
    assert ">Reprocess</a>" in detail and "Ignore divergence and reprocess" not in detail
