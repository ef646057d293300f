"""A connector no call has reached for a day is flagged on the admin home and its Owners are
e-mailed once; nothing of it is dropped, and the flag goes once a call is delivered again."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Preferences
from accounts.roles import Role
from connectors.failing import connectors_failing_sweep
from connectors.models import Connector, Notification
from connectors.notifications import notification_deliver
from tests.factories import member
from tests.support.notifications import write
from tests.support.pages import text


@pytest.fixture
def failing(shop, queued, capture, connector_server, settings):
    """The shop's connector answering 500 to a notification, marked failing then."""
    settings.NOTIFICATION_MAX_ATTEMPTS = 10
    (row,) = write(shop, None, capture=capture)
    connector_server.respond_with(500)
    with capture(execute=True):
        assert notification_deliver(notification_id=row.pk) == "retry"
    return row


def marked_ago(connector, hours: float) -> None:
    Connector.objects.filter(pk=connector.pk).update(failing_since=timezone.now() - timedelta(hours=hours))


def home(client, user) -> str:
    client.force_login(user)
    return text(client.get("/admin/"))


def test_a_failed_call_marks_the_connector_and_a_later_one_does_not_move_the_mark(
    failing, shop, capture, connector_server
):
    since = Connector.objects.get(pk=shop.connector.pk).failing_since
    assert since is not None and timezone.now() - since < timedelta(minutes=1)
    Notification.objects.filter(pk=failing.pk).update(next_attempt_at=timezone.now())
    connector_server.respond_with(503)
    with capture(execute=True):
        notification_deliver(notification_id=failing.pk)
    assert Connector.objects.get(pk=shop.connector.pk).failing_since == since


def test_after_a_day_the_owners_are_told_once_in_their_language_and_the_home_page_says_so(
    failing, shop, owner, viewer, account, client
):
    second_owner = member(account, Role.OWNER, "dona@acme.example")
    Preferences.objects.update_or_create(user=second_owner, defaults={"language": "pt-br"})
    marked_ago(shop.connector, 25)
    assert connectors_failing_sweep() == {"recovered": 0, "told": 1}
    assert sorted(message.to[0] for message in mail.outbox) == ["dona@acme.example", "owner@acme.example"]
    english = next(message for message in mail.outbox if message.to == ["owner@acme.example"])
    assert english.subject == f"Connector {shop.connector.name} of acme: nothing delivered for a day"
    assert "Nothing is dropped" in english.body and "HTTP 500" in english.body
    assert f"/admin/connectors/notification/?connector__id__exact={shop.connector.pk}" in english.body
    portuguese = next(message for message in mail.outbox if message.to == ["dona@acme.example"])
    assert "Nothing is dropped" not in portuguese.body and "HTTP 500" in portuguese.body
    assert connectors_failing_sweep() == {"recovered": 0, "told": 0}
    assert len(mail.outbox) == 2
    for reader in (owner, viewer):
        assert f"{shop.connector.name} (acme): every call has failed since" in home(client, reader)


def test_a_member_of_another_account_sees_nothing_of_it(failing, shop, other_account, client):
    marked_ago(shop.connector, 25)
    stranger = member(other_account, Role.OWNER, "boss@globex.example")
    assert "Connectors not reached for a day" not in home(client, stranger)


def test_before_a_day_nobody_is_told_and_nothing_is_shown(failing, shop, owner, client):
    marked_ago(shop.connector, 23)
    assert connectors_failing_sweep() == {"recovered": 0, "told": 0}
    assert mail.outbox == []
    assert "Connectors not reached for a day" not in home(client, owner)


def test_a_call_delivered_since_clears_the_flag_and_a_new_failure_starts_the_day_again(
    failing, shop, owner, client, capture, connector_server
):
    marked_ago(shop.connector, 25)
    connectors_failing_sweep()
    Notification.objects.filter(pk=failing.pk).update(next_attempt_at=timezone.now())
    with capture(execute=True):
        assert notification_deliver(notification_id=failing.pk) == "delivered"
    assert connectors_failing_sweep() == {"recovered": 1, "told": 0}
    connector = Connector.objects.get(pk=shop.connector.pk)
    assert (connector.failing_since, connector.failing_told_at) == (None, None)
    assert "Connectors not reached for a day" not in home(client, owner)


def test_an_email_that_cannot_be_sent_is_tried_at_the_next_sweep(failing, shop, owner, settings, monkeypatch):
    marked_ago(shop.connector, 25)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("connectors.failing.send_mail", down)
    assert connectors_failing_sweep() == {"recovered": 0, "told": 0}
    assert Connector.objects.get(pk=shop.connector.pk).failing_told_at is None
    monkeypatch.undo()
    assert connectors_failing_sweep() == {"recovered": 0, "told": 1}
    assert [message.to for message in mail.outbox] == [["owner@acme.example"]]
