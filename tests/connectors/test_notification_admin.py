"""The notification log in the admin: every attempt, and resending a failed notification."""

import re

import pytest

from connectors.models import Notification
from kit.admin_display import moment
from tests.connector_client import ConnectorClient
from tests.factories import connector, member
from tests.orders.payloads import order_body
from tests.support.pages import page

NOTIFICATIONS = "/admin/connectors/notification/"


def change_url(notification):
    return f"{NOTIFICATIONS}{notification.pk}/change/"


def resend_url(notification):
    return f"{NOTIFICATIONS}{notification.pk}/resend/"


def attempt_rows(detail: str) -> list[list[str]]:
    """Return the cells of the attempts table: time, HTTP status, duration (ms), error."""
    table = detail[detail.index('id="attempts-heading"') :]
    table = table[: table.index("</table>")]
    cell = r'<td class="field-{}">\s*<p>(.*?)</p>'
    columns = [
        re.findall(cell.format(name), table, re.S) for name in ("attempted", "status", "duration", "error")
    ]
    return [list(row) for row in zip(*columns, strict=True)]


@pytest.fixture
def failed(mkp, connector_server):
    """The connector's endpoint answered 404: a final failure, after one attempt."""
    connector_server.respond_with(404)
    mkp.place(order_body())
    notification = Notification.objects.get()
    assert notification.state == "failed"
    return notification


def test_list_shows_each_notification_with_its_state_and_attempts(client, viewer, failed):
    client.force_login(viewer)
    listing = page(client, NOTIFICATIONS)
    assert "SOI001" in listing and "Failed" in listing
    assert "MKP-123456789" in listing
    assert f'href="/admin/orders/order/{failed.order_id}/change/"' in listing
    assert ">404<" in listing


def test_detail_shows_the_url_the_key_the_body_and_every_attempt(client, viewer, failed):
    client.force_login(viewer)
    detail = page(client, change_url(failed))
    assert "/api/vtex/order-integration/notification/processing-result?an=acme" in detail
    assert str(failed.idempotency_key) in detail
    assert '"code": "SOI001"' in detail and '"mainOrderId": "MKP-123456789"' in detail
    assert "Not delivered after 1 attempt" in detail
    attempt = failed.attempts.get()
    assert attempt_rows(detail) == [
        [moment(attempt.attempted_at), "404", str(attempt.duration_ms), "HTTP 404"],
    ]
    assert 'name="_save"' not in detail


def test_owner_resends_a_failed_notification_and_it_is_delivered(
    client, owner, failed, connector_server, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    assert ">Resend</button>" in page(client, change_url(failed))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(resend_url(failed)).status_code == 302
    detail = page(client, change_url(failed))
    assert "SOI001 for 123456789: queued to be sent again" in detail
    assert "Delivered" in detail
    assert ">Resend</button>" not in detail
    assert [(row[1], row[3]) for row in attempt_rows(detail)] == [("404", "HTTP 404"), ("200", "-")]
    failed.refresh_from_db()
    assert failed.state == "delivered"
    assert [body["code"] for body in connector_server.bodies()] == ["SOI001", "SOI001"]


def test_resend_action_skips_notifications_that_did_not_fail(
    client, owner, failed, mkp, django_capture_on_commit_callbacks
):
    mkp.place(order_body(marketplaceOrderId="2"))
    delivered = Notification.objects.get(marketplace_order_id="2")
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NOTIFICATIONS, {"action": "resend", "_selected_action": [failed.pk, delivered.pk]})
    listing = page(client, NOTIFICATIONS)
    assert "SOI001 for 123456789: queued to be sent again" in listing
    assert "SOI001 for 2: not resent, it is delivered; only failed notifications are." in listing
    assert set(Notification.objects.values_list("state", flat=True)) == {"delivered"}


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_viewer_and_approver_cannot_resend(request, client, failed, role, django_capture_on_commit_callbacks):
    client.force_login(request.getfixturevalue(role))
    assert ">Resend</button>" not in page(client, change_url(failed))
    assert '<option value="resend">' not in page(client, NOTIFICATIONS)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(resend_url(failed)).status_code == 403
        client.post(NOTIFICATIONS, {"action": "resend", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert (failed.state, failed.attempts.count()) == ("failed", 1)


def test_another_accounts_notifications_are_invisible(
    client, failed, other_account, mkp, connector_server, other_server
):
    _, credentials = connector(other_account, name="Globex", affiliate_id="GLX", endpoint=other_server.url)
    ConnectorClient(mkp.client, credentials, mkp.capture).place(
        order_body(marketplaceOrderId="THEIRS"), an="globex"
    )
    assert Notification.objects.get(marketplace_order_id="THEIRS").account == other_account
    stranger = member(other_account, "owner", "owner@globex.example")
    client.force_login(stranger)
    listing = page(client, NOTIFICATIONS)
    assert "THEIRS" in listing and "123456789" not in listing
    assert client.get(change_url(failed), follow=True).redirect_chain[-1][0] == "/admin/"
    with mkp.capture(execute=True):
        assert client.post(resend_url(failed)).status_code == 404
    failed.refresh_from_db()
    assert (failed.state, failed.attempts.count()) == ("failed", 1)
    assert connector_server.codes() == ["SOI001"]  # the one attempt that failed, not sent again
