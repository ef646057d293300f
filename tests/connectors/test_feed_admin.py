"""Feeds, hooks and hook deliveries in the admin: read by the account, resend by those who manage connectors."""

import pytest

from connectors.models import HookDelivery
from tests.connectors.oms_support import hook_url
from tests.factories import AccountFactory, connector, member
from tests.orders.payloads import order_body
from tests.support.pages import page

DELIVERIES = "/admin/connectors/hookdelivery/"


@pytest.fixture
def failed(oms, mkp, other_server, settings):
    """A hook whose endpoint answered 404 to the order's first change: a final failure."""
    settings.HOOK_MAX_ATTEMPTS = 1
    oms.post(
        "/api/orders/hook/config",
        {
            "filter": {"type": "FromWorkflow", "status": ["payment-pending"]},
            "hook": {"url": hook_url(other_server), "headers": {"Authorization": "Bearer s3cret"}},
        },
    )
    other_server.respond_with(404)
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert delivery.state == "failed"
    return delivery


def test_the_feed_shows_its_filter_and_what_waits_in_it(client, viewer, oms, mkp):
    oms.post("/api/orders/feed/config", {"filter": {"type": "FromWorkflow", "status": ["payment-pending"]}})
    mkp.place(order_body())
    client.force_login(viewer)
    listing = page(client, "/admin/connectors/feedconfig/")
    assert "SkyHub (MKP)" in listing and "Payment pending" in listing
    assert '<td class="field-waiting">1</td>' in listing


def test_the_hook_shows_its_url_and_header_names_but_not_their_values(client, viewer, failed, other_server):
    client.force_login(viewer)
    listing = page(client, "/admin/connectors/hookconfig/")
    assert hook_url(other_server) in listing
    from connectors.models import HookConfig

    detail = page(client, f"/admin/connectors/hookconfig/{HookConfig.objects.get().pk}/change/")
    assert "Authorization (values not shown)" in detail
    assert "s3cret" not in detail


def test_deliveries_show_each_change_with_its_attempts(client, viewer, failed):
    client.force_login(viewer)
    listing = page(client, DELIVERIES)
    assert "MKP-123456789" in listing and "new → Payment pending" in listing and "Failed" in listing
    detail = page(client, f"{DELIVERIES}{failed.pk}/change/")
    assert "Not delivered after 1 attempt" in detail and "HTTP 404" in detail
    assert failed.event_uid in detail
    assert "Resend" not in detail  # a viewer may not


def test_an_oms_full_user_resends_a_failed_delivery(
    client, oms_full, failed, other_server, django_capture_on_commit_callbacks
):
    client.force_login(oms_full)
    detail = page(client, f"{DELIVERIES}{failed.pk}/change/")
    assert f'action="{DELIVERIES}{failed.pk}/resend/"' in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{DELIVERIES}{failed.pk}/resend/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == "delivered"
    assert other_server.received[-1].body["State"] == "payment-pending"
    messages = page(client, f"{DELIVERIES}{failed.pk}/change/")
    assert f"queued to be sent again to {hook_url(other_server)}" in messages


def test_a_viewer_cannot_resend(client, viewer, failed):
    client.force_login(viewer)
    assert client.post(f"{DELIVERIES}{failed.pk}/resend/").status_code == 403
    failed.refresh_from_db()
    assert failed.state == "failed"


def test_another_accounts_deliveries_are_not_shown(client, failed, oms, other_server):
    stranger = member(AccountFactory(name="globex"), "owner", "owner@globex.example")
    connector(AccountFactory(name="globex"), name="Theirs", affiliate_id="THR")
    client.force_login(stranger)
    assert "MKP-123456789" not in page(client, DELIVERIES)
    opened = client.get(f"{DELIVERIES}{failed.pk}/change/", follow=True)
    assert opened.redirect_chain == [("/admin/", 302)]  # the admin's "no such object"
    with oms.capture(execute=True):
        assert client.post(f"{DELIVERIES}{failed.pk}/resend/").status_code == 404
    failed.refresh_from_db()
    assert (failed.state, failed.attempt_count) == ("failed", 1)
    assert [call.body.get("State") for call in other_server.received] == [
        None,
        "payment-pending",
    ]  # ping, the failed call
