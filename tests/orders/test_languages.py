"""The orders' screens and the approvers' e-mail in Portuguese and Spanish: no English word of ours
left, money in the account's currency as the reader's language writes it, codes in words."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation

from accounts.models import Preferences
from orders.approval_mail import approval_digests_send
from orders.bulk import bulk_decision_run, bulk_decision_start
from orders.escalation import approval_notify_steps
from orders.models import BulkDecision
from tests.factories import PASSWORD
from tests.support.i18n import english_left
from tests.support.orders import ANA, place_held
from tests.support.pages import markup, section, text_of

QUEUE = "/admin/orders/waitingorder/"
ORDERS = "/admin/orders/order/"

# The held example order: paid 25.71 against a seller value of 30.25, in BRL (the account's currency).
LANGUAGES = [
    pytest.param(
        "pt-BR",
        "pt_BR",
        {"paid": "R$\xa025,71", "seller": "R$\xa030,25", "status": "Aguardando autorização manual"},
        id="pt-BR",
    ),
    pytest.param(
        "es",
        "es",
        {"paid": "25,71\xa0BRL", "seller": "30,25\xa0BRL", "status": "Esperando autorización manual"},
        id="es",
    ),
]


def get(client, url, accept):
    """The page in `accept`, without the sidebar: the other apps' names there are theirs to translate."""
    page = markup(client.get(url, HTTP_ACCEPT_LANGUAGE=accept))
    return re.sub(r'(?s)<nav class="sticky" id="nav-sidebar".*?</nav>', " ", page)


@pytest.mark.parametrize(("accept", "language", "expected"), LANGUAGES)
def test_the_queue_speaks_the_readers_language_and_money(
    client, approver, held_order, accept, language, expected
):
    client.force_login(approver)
    shown = get(client, QUEUE, accept)
    assert english_left(shown, language) == []
    assert expected["paid"] in shown and expected["seller"] in shown  # with Babel's no-break space
    words = text_of(shown)
    assert expected["status"] in words
    assert "+15,01 %" in words
    assert "mainOrderId" not in words and "By " not in words


@pytest.mark.parametrize(("accept", "language", "expected"), LANGUAGES)
def test_the_order_list_speaks_the_readers_language_and_money(
    client, viewer, held_order, accept, language, expected
):
    client.force_login(viewer)
    shown = get(client, ORDERS, accept)
    assert english_left(shown, language) == []
    assert expected["paid"] in shown and expected["seller"] in shown  # with Babel's no-break space
    words = text_of(shown)
    assert expected["status"] in words
    # The outcome in words, not its code.
    assert {"pt_BR": "Aguardando aprovação", "es": "En espera de aprobación"}[language] in words
    assert ">manual<" not in shown


@pytest.mark.parametrize(("accept", "language", "expected"), LANGUAGES)
def test_a_held_orders_page_speaks_the_readers_language_and_money(
    client, approver, held_order, accept, language, expected
):
    client.force_login(approver)  # who may decide it: the approve and deny forms are on the page
    shown = get(client, f"{ORDERS}{held_order.pk}/change/", accept)
    assert english_left(shown, language) == []
    items = section(shown, "order-items")
    assert {"pt_BR": "Preço unitário do marketplace", "es": "Precio unitario del marketplace"}[
        language
    ] in items
    assert expected["paid"] in shown and expected["seller"] in shown
    paid, seller = (expected[side].replace("\xa0", " ") for side in ("paid", "seller"))
    assert f"{paid} {seller} +15,01 %" in items
    words = text_of(shown)
    assert {"pt_BR": "10,00–20,00 % Reter para aprovação", "es": "10,00–20,00 % Retener para aprobación"}[
        language
    ] in words
    assert "rule:band" not in words and "waiting-for-manual-authorization" not in words
    assert {"pt_BR": "Aprovar pedido", "es": "Aprobar pedido"}[language] in words


@pytest.mark.parametrize(("accept", "language", "expected"), LANGUAGES)
def test_the_approval_email_speaks_the_approvers_language(
    client, held_order, second_approver, accept, language, expected, django_capture_on_commit_callbacks
):
    Preferences.objects.update_or_create(user=second_approver, defaults={"language": accept.lower()})
    mail.outbox.clear()
    task = held_order.approval_task
    with django_capture_on_commit_callbacks(execute=True):  # Bo's first e-mail goes at once
        escalated = timezone.now() + timedelta(minutes=241)
        assert approval_notify_steps(task_ids=[task.pk], now=escalated) == {task.pk: second_approver.email}
    (message,) = mail.outbox
    ((html, _),) = message.alternatives
    for text in (message.subject + "\n" + message.body, html):
        words = re.sub(r"https?://[^\s\"]+", " ", text)  # the link is no words
        assert english_left(words, language) == []
    assert held_order.main_order_id in message.body and held_order.main_order_id in html
    assert expected["paid"] in message.body and expected["seller"] in message.body
    assert {"pt_BR": "escalado para você", "es": "escalado a usted"}[language] in message.body


def test_the_approval_email_speaks_the_browser_language_of_an_approver_who_chose_none(
    client, shop, owner, approver, second_approver
):
    sign_in = {"username": approver.username, "password": PASSWORD}
    assert client.post("/admin/login/", sign_in, HTTP_ACCEPT_LANGUAGE="es").status_code == 302
    mail.outbox.clear()

    order = place_held(shop.connector)  # held for Ana first

    (message,) = mail.outbox
    assert message.to == [ANA]
    assert "Pagado por el marketplace: 25,71\xa0BRL" in message.body

    client.logout()
    client.post("/admin/login/", sign_in, HTTP_ACCEPT_LANGUAGE="en")  # back on an English browser
    mail.outbox.clear()
    place_held(shop.connector, marketplaceOrderId=order.marketplace_order_id + "-2")
    assert approval_digests_send(now=timezone.now() + timedelta(minutes=10)) == 1  # the next digest
    assert "Paid by the marketplace: R$25.71" in mail.outbox[0].body


def test_the_approval_email_is_english_for_an_approver_who_chose_no_language_and_never_signed_in(
    held_order,
):
    (message,) = mail.outbox
    assert message.to == [ANA]
    assert "Paid by the marketplace: R$25.71" in message.body
    assert "Seller value: R$30.25" in message.body


def test_a_bulk_decision_run_by_a_worker_reports_in_the_language_the_queue_was_read_in(approver, held_order):
    with translation.override("pt-br"):  # the queue's reader, by their browser: no language chosen
        job = bulk_decision_start(
            user=approver, order_ids=[held_order.pk], action=BulkDecision.Action.APPROVE
        )

    with translation.override(settings.LANGUAGE_CODE):  # a worker's: it has no reader
        bulk_decision_run(job_id=job.pk)

    job.refresh_from_db()
    assert [result["message"] for result in job.results] == [f"Pedido {held_order.main_order_id} aprovado."]
