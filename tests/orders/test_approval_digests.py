"""The approvers' digest e-mails: one e-mail per approver per interval at most, listing what became
theirs since the last one, in their language and their accounts' currencies, nothing lost when the
e-mail fails, and one e-mail when two senders race."""

import smtplib
from datetime import timedelta

from django.core import mail
from django.core.mail import EmailMultiAlternatives

from accounts.roles import Role
from authorization.models import ApprovalNotice, ApproverMailbox
from orders.approval_mail import approval_digest_send, approval_digests_send
from orders.approvals import order_approve
from orders.escalation import approvals_notify_due
from tests.factories import AccountFactory, band, member
from tests.orders.conftest import ANA, BO, TWENTY_FIVE
from tests.support.concurrency import at_once
from tests.support.orders import place_held
from tests.support.shop import make_shop

MINUTE = timedelta(minutes=1)
QUEUE_LINK = "http://127.0.0.1:8000/admin/orders/waitingorder/?mine=yes"


def last_sent(email: str):
    return ApproverMailbox.objects.get(email=email).last_sent_at


def waiting_notices(email: str) -> int:
    return ApprovalNotice.objects.filter(email=email, sent_at__isnull=True).count()


def test_the_first_order_goes_out_at_once_and_the_next_waits_out_the_interval(hold):
    hold("A")
    (first,) = mail.outbox
    assert (first.to, first.subject) == ([ANA], "1 order waits for your authorization")
    sent = last_sent(ANA)

    hold("B")
    assert len(mail.outbox) == 1  # within the interval: B waits for the next digest
    assert approval_digests_send(now=sent + 9 * MINUTE) == 0
    assert approval_digests_send(now=sent + 10 * MINUTE) == 1
    second = mail.outbox[1]
    assert (second.to, second.subject) == ([ANA], "1 order waits for your authorization")
    assert "MKP-B" in second.body and "MKP-A" not in second.body
    assert approval_digests_send(now=sent + 30 * MINUTE) == 0  # nothing left to say


def test_a_burst_is_one_email_with_the_count_the_total_the_oldest_wait_and_the_ten_longest_waiting(
    hold, shop
):
    shop.stock.quantity = 100
    shop.stock.save()
    hold("FIRST")
    for number in range(1, 12):
        hold(f"B{number:02}")
    assert len(mail.outbox) == 1
    assert approval_digests_send(now=last_sent(ANA) + 11 * MINUTE) == 1
    message = mail.outbox[1]
    assert message.subject == "11 orders wait for your authorization"
    body = message.body
    assert "11 orders became yours to decide since our last e-mail." in body
    assert "New: 11\nEscalated to you: 0\nReminders: 0" in body
    assert "Total paid: R$282.81" in body  # 11 × R$25.71
    assert "Oldest wait: 10 min" in body
    assert "The 10 most urgent orders, the longest waiting first:" in body
    listed = [line.split()[2] for line in body.splitlines() if line.startswith("* Order ")]
    assert listed == [f"MKP-B{number:02}" for number in range(1, 11)]
    assert "And 1 more order." in body
    assert body.count("Why it diverges:") == 10
    assert QUEUE_LINK in body


def test_new_escalated_and_reminders_are_counted_apart(hold, django_capture_on_commit_callbacks):
    held = hold("A")  # Ana, then Bo
    hold("B", paid=TWENTY_FIVE)  # Bo alone: his at once
    assert [m.to for m in mail.outbox] == [[ANA], [BO]]
    escalated = held.created_at + 241 * MINUTE
    with django_capture_on_commit_callbacks(execute=True):  # Bo was e-mailed just now: no digest yet
        assert approvals_notify_due(now=escalated) == 2  # A escalates to Bo, who is reminded of B
    assert approval_digests_send(now=escalated) == 1
    message = mail.outbox[2]
    assert message.to == [BO]
    assert message.subject == "2 orders wait for your authorization, some escalated or reminded"
    assert "New: 0\nEscalated to you: 1\nReminders: 1" in message.body
    assert "Order MKP-A (SkyHub): escalated to you" in message.body
    assert "Order MKP-B (SkyHub): reminder" in message.body

    reminded = held.created_at + 2 * 241 * MINUTE
    with django_capture_on_commit_callbacks(execute=True):
        assert approvals_notify_due(now=reminded) == 2  # Bo is the last of both chains
    assert approval_digests_send(now=reminded) == 1
    message = mail.outbox[3]
    assert message.subject == "2 orders wait for your authorization, some escalated or reminded"
    assert "New: 0\nEscalated to you: 0\nReminders: 2" in message.body


def test_an_order_decided_before_the_digest_is_left_out_of_it(hold, approver, client, viewer):
    hold("A")
    decided = hold("B")
    client.force_login(viewer)
    page = f"/admin/orders/order/{decided.pk}/change/"
    assert "in the next e-mail" in client.get(page).content.decode()
    order_approve(order=decided, approver=approver)
    assert "in the next e-mail" not in client.get(page).content.decode()
    assert approval_digests_send(now=last_sent(ANA) + 10 * MINUTE) == 0
    assert len(mail.outbox) == 1
    assert waiting_notices(ANA) == 0


def test_an_approver_of_several_accounts_reads_each_in_its_own_currency(hold, approver, connector_server):
    hold("A")
    globex = AccountFactory(name="globex", currency="USD", time_zone="America/New_York")
    member(globex, Role.OWNER, "owner@globex.example")
    member(globex, Role.APPROVER, ANA)
    theirs = make_shop(globex, connector_server.url, name="Globex", affiliate_id="GLX")
    place_held(theirs.connector, bands=[band(0, 100, "manual", [ANA])], marketplaceOrderId="G1")
    hold("B")
    assert approval_digests_send(now=last_sent(ANA) + 10 * MINUTE) == 1
    body = mail.outbox[1].body
    assert "2 orders became yours to decide" in body
    # The account whose order waited longest first.
    globex_part, acme = body.split("== globex ==")[1].split("== acme ==")
    assert "Orders: 1\nTotal paid: $25.71" in globex_part and "* Order GLX-G1 (Globex): new" in globex_part
    assert "Paid by the marketplace: $25.71" in globex_part
    assert "Orders: 1\nTotal paid: R$25.71" in acme and "* Order MKP-B (SkyHub): new" in acme
    assert "Paid by the marketplace: R$25.71" in acme


def test_the_email_has_an_html_part_with_the_orders_and_the_queue_link(hold):
    order = hold("A")
    (message,) = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert html.startswith("<!DOCTYPE html>")
    assert (
        f'<a href="http://127.0.0.1:8000/admin/orders/order/{order.pk}/change/"><strong>MKP-A</strong></a>'
        in html
    )
    assert "Why it diverges:" in html and "Paid by the marketplace: R$25.71" in html
    assert f'<a href="{QUEUE_LINK}">' in html


def test_an_email_that_fails_gives_its_orders_back_for_the_next_digest(hold, monkeypatch):
    hold("A")
    before = last_sent(ANA)
    hold("B")

    def refused(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as patched:
        patched.setattr(EmailMultiAlternatives, "send", refused)
        assert approval_digests_send(now=before + 10 * MINUTE) == 0
    assert (waiting_notices(ANA), last_sent(ANA)) == (1, before)
    assert approval_digests_send(now=before + 11 * MINUTE) == 1
    assert "MKP-B" in mail.outbox[1].body
    assert waiting_notices(ANA) == 0


def test_two_senders_at_once_send_one_email(transactional_db, hold):
    hold("A")
    hold("B")
    later = last_sent(ANA) + 10 * MINUTE
    results = at_once([lambda: approval_digest_send(email=ANA, now=later)] * 2)
    assert sorted(results) == [False, True]
    assert [m.to for m in mail.outbox] == [[ANA], [ANA]]
