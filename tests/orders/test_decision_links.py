"""Deciding from the e-mail: each order's link, its page, and every way of breaking it on purpose.

A link is Ana's alone for one order, works once, until the order's next escalation (24 hours at
most), while her account has decisions from the e-mail on; opening it decides nothing.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.absences import absence_end, absence_set
from accounts.models import Account, Membership
from accounts.roles import Role
from accounts.services import language_set, membership_set
from authorization.models import ApprovalTask
from orders.approvals import order_approve
from orders.escalation import approvals_notify_due
from orders.models import DecisionLink, Order
from tests.support.clients import client_for
from tests.support.observe import observed
from tests.support.orders import place_held
from tests.support.pages import section, text_of

WAITING = "waiting-for-manual-authorization"
ESCALATE = timedelta(minutes=240)
LINK = re.compile(r"http://testserver/decide/[A-Za-z0-9_-]+")


@pytest.fixture
def held(shop, owner, approver, second_approver, settings):
    """MKP-123456789 held for Ana then Bo, in an account with decisions from the e-mail on."""
    settings.SITE_URL = "http://testserver"
    Account.objects.filter(pk=shop.account.pk).update(email_decisions=True)
    return place_held(shop.connector)


def link_in(message) -> str:
    (url,) = LINK.findall(message.body)
    return url.removeprefix("http://testserver")


@pytest.fixture
def anas_link(held) -> str:
    (message,) = mail.outbox
    assert message.to == ["ana@acme.example"]
    return link_in(message)


def approve(client, url, note=""):
    return client.post(url, {"action": "approve", "approve-note": note})


def deny(client, url, reason="price-error", note="Wrong price."):
    return client.post(url, {"action": "deny", "deny-reason_code": reason, "deny-note": note})


def page_text(response) -> str:
    return text_of(response.content.decode())


def csrf_client() -> Client:
    """A browser that sends Django's CSRF token as a real one must: read from the page it opened."""
    return Client(enforce_csrf_checks=True)


def token_of(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


def test_the_email_carries_a_link_for_ana_alone_and_no_link_when_it_is_off(
    shop, owner, approver, second_approver
):
    place_held(shop.connector)
    (message,) = mail.outbox
    assert LINK.findall(message.body) == []
    assert DecisionLink.objects.count() == 0


def test_the_digests_html_part_carries_the_same_link(held, anas_link):
    (message,) = mail.outbox
    ((html, kind),) = message.alternatives
    assert kind == "text/html"
    assert f'href="http://testserver{anas_link}"' in html


def test_opening_the_link_shows_the_order_and_changes_nothing(held, anas_link):
    before = observed(held.account)
    for _ in range(3):  # a scanner, a previewer, then Ana
        response = Client().get(anas_link)
        assert response.status_code == 200
    words = page_text(response)
    assert "Decide order MKP-123456789" in words
    assert "marketplace order 123456789" in words
    assert "this link works once; you decide with it as ana@acme.example." in words
    assert "Why it diverges" in words
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["Referrer-Policy"] == "same-origin"
    assert observed(held.account) == before
    assert status_of(held) == WAITING
    assert DecisionLink.objects.get().used_at is None
    assert "sessionid" not in response.cookies


def test_the_page_speaks_the_approvers_language(held, anas_link, approver):
    language_set(user=approver, language="pt-br", actor=approver)
    words = page_text(Client().get(anas_link))
    assert "Decidir o pedido MKP-123456789" in words


def test_approving_from_the_link_decides_as_ana_with_a_real_csrf_token(held, anas_link):
    browser = csrf_client()
    opened = browser.get(anas_link)
    assert browser.post(anas_link, {"action": "approve"}).status_code == 403  # no CSRF token: refused
    assert status_of(held) == WAITING
    response = browser.post(anas_link, {"action": "approve", "csrfmiddlewaretoken": token_of(opened)})
    assert response.status_code == 200
    assert "Order MKP-123456789 is approved." in page_text(response)
    task = ApprovalTask.objects.select_related("decided_by").get(order=held)
    assert (task.decision, task.decided_by.email) == ("approved", "ana@acme.example")
    assert status_of(held) == "payment-pending"
    assert DecisionLink.objects.get().used_at is not None
    assert "sessionid" not in response.cookies


def test_denying_needs_a_reason_and_a_note_then_cancels(held, anas_link):
    refused = deny(Client(), anas_link, reason="", note="")
    assert refused.status_code == 400
    assert "This field is required." in page_text(refused)
    assert status_of(held) == WAITING
    assert DecisionLink.objects.get().used_at is None
    response = deny(Client(), anas_link)
    assert response.status_code == 200
    assert "Order MKP-123456789 is denied." in page_text(response)
    task = ApprovalTask.objects.get(order=held)
    assert (task.decision, task.reason_code, task.note) == ("denied", "price-error", "Wrong price.")
    assert status_of(held) == "canceled"


def test_a_replayed_link_decides_nothing_the_second_time(held, anas_link):
    assert approve(Client(), anas_link).status_code == 200
    before = observed(held.account)
    again = deny(Client(), anas_link)
    assert again.status_code == 410
    words = section(again.content.decode(), "decide-refusal")
    assert "Order MKP-123456789 was already approved by ana@acme.example at " in words
    assert "Nothing was decided by this link." in words
    assert observed(held.account) == before
    assert Client().get(anas_link).status_code == 410


@pytest.mark.parametrize(
    "token",
    ["x" * 43, "", "A" * 2000, "%00", "../admin/"],
    ids=["forged", "empty", "long", "nul", "path"],
)
def test_a_forged_link_is_not_found_and_decides_nothing(held, anas_link, token):
    before = observed(held.account)
    for response in (Client().get(f"/decide/{token}"), approve(Client(), f"/decide/{token}")):
        assert response.status_code in (400, 404)
    assert observed(held.account) == before
    assert status_of(held) == WAITING


def test_a_forged_token_says_it_is_none_we_sent(held, anas_link):
    forged = anas_link[:-4] + ("AAAA" if not anas_link.endswith("AAAA") else "BBBB")
    response = approve(Client(), forged)
    assert response.status_code == 404
    assert "This link is not one this site sent" in page_text(response)
    assert status_of(held) == WAITING


def test_an_expired_link_decides_nothing(held, anas_link):
    DecisionLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = approve(Client(), anas_link)
    assert response.status_code == 410
    assert "This link expired at " in page_text(response)
    assert status_of(held) == WAITING


def test_the_link_expires_at_the_next_escalation_and_the_next_approver_gets_their_own(
    held, anas_link, django_capture_on_commit_callbacks
):
    link = DecisionLink.objects.get()
    task = ApprovalTask.objects.get(order=held)
    assert link.expires_at == task.next_notification_at  # 240 minutes: before 24 hours
    mail.outbox.clear()
    escalated = task.next_notification_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):  # Bo's first digest goes out at once
        assert approvals_notify_due(now=escalated) == 1
    (message,) = mail.outbox
    assert message.to == ["bo@acme.example"]
    bos = DecisionLink.objects.exclude(pk=link.pk).get()
    assert bos.approver.email == "bo@acme.example"
    assert bos.expires_at == ApprovalTask.objects.get(order=held).next_notification_at
    assert link_in(message) != anas_link


def test_a_link_lasts_24_hours_at_most(shop, owner, approver, second_approver, settings):
    settings.SITE_URL = "http://testserver"
    Account.objects.filter(pk=shop.account.pk).update(email_decisions=True)
    held = place_held(shop.connector, escalate_after_minutes=3 * 24 * 60)
    link = DecisionLink.objects.get(order=held)
    assert link.expires_at - link.created_at <= timedelta(hours=24, seconds=5)
    assert link.expires_at - link.created_at >= timedelta(hours=23, minutes=59)


def test_a_browser_signed_in_as_bo_cannot_use_anas_link(held, anas_link, second_approver):
    before = observed(held.account)
    bo = client_for(second_approver)
    opened = bo.get(anas_link)
    assert opened.status_code == 403
    assert "This link is ana@acme.example's, and this browser is signed in as bo@acme.example" in page_text(
        opened
    )
    response = approve(bo, anas_link)
    assert response.status_code == 403
    assert observed(held.account) == before
    assert status_of(held) == WAITING
    assert DecisionLink.objects.get().used_at is None


def test_the_link_decides_as_its_approver_only_whoever_holds_it(held, anas_link):
    """Forwarded to anyone signed in as nobody, it decides as Ana: the task records her, never the holder."""
    assert approve(Client(), anas_link).status_code == 200
    task = ApprovalTask.objects.select_related("decided_by").get(order=held)
    assert task.decided_by.email == "ana@acme.example"


def test_an_approver_removed_after_the_mail_decides_nothing(held, anas_link, approver, account):
    membership_set(user=approver, account=account, role=Role.VIEWER)
    response = approve(Client(), anas_link)
    assert response.status_code == 403
    assert "ana@acme.example may no longer decide order MKP-123456789." in page_text(response)
    assert status_of(held) == WAITING
    Membership.objects.filter(user=approver).delete()
    assert approve(Client(), anas_link).status_code == 403
    approver.is_active = False
    approver.save(update_fields=["is_active"])
    assert approve(Client(), anas_link).status_code == 403
    assert status_of(held) == WAITING


def test_an_absence_in_force_voids_the_link_until_it_ends(
    held, anas_link, approver, second_approver, account
):
    now = timezone.now()
    absence = absence_set(
        account=account,
        user=approver,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        substitute=second_approver,
        actor=approver,
    )
    for response in (Client().get(anas_link), approve(Client(), anas_link)):
        assert response.status_code == 403
        assert "ana@acme.example is away until " in page_text(response)
        assert (
            "bo@acme.example decides in their place, and this link decides nothing meanwhile."
            in page_text(response)
        )
    assert status_of(held) == WAITING
    absence_end(absence=absence, actor=approver)
    assert approve(Client(), anas_link).status_code == 200  # back before the link expired: it is hers again


def test_an_order_decided_meanwhile_says_by_whom(held, anas_link, second_approver):
    order_approve(order=held, approver=second_approver, note="")
    response = Client().get(anas_link)
    assert response.status_code == 410
    assert "Order MKP-123456789 was already approved by bo@acme.example at " in page_text(response)
    assert approve(Client(), anas_link).status_code == 410
    assert DecisionLink.objects.get().used_at is None


def test_turning_the_setting_off_voids_links_already_sent(held, anas_link, account):
    Account.objects.filter(pk=account.pk).update(email_decisions=False)
    response = approve(Client(), anas_link)
    assert response.status_code == 410
    assert "Decisions from the e-mail are turned off for account acme" in page_text(response)
    assert status_of(held) == WAITING


def test_a_canceled_order_no_longer_waits(held, anas_link):
    Order.objects.filter(pk=held.pk).update(status="canceled")
    response = Client().get(anas_link)
    assert response.status_code == 410
    assert "Order MKP-123456789 is canceled: it no longer waits for a decision." in page_text(response)


def test_the_page_grants_nothing_else(held, anas_link):
    browser = Client()
    assert approve(browser, anas_link).status_code == 200
    assert browser.get("/admin/orders/order/").status_code == 302  # to the sign-in
    assert browser.get("/api/orders?an=acme").status_code in (401, 403)


def test_only_a_digest_of_the_token_is_kept(held, anas_link):
    token = anas_link.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits
    link = DecisionLink.objects.get()
    assert token not in link.token_digest and len(link.token_digest) == 64
