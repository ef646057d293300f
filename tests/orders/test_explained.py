"""Why a held order diverges, wherever the admin shows it: the order page, the queue, the e-mail, the CSV."""

import csv
import io
import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from accounts.models import Preferences
from orders.escalation import approval_notify_steps
from orders.models import Order
from tests.support.i18n import english_left
from tests.support.orders import place_held
from tests.support.pages import markup, section, text_of

QUEUE = "/admin/orders/waitingorder/"
ORDERS = "/admin/orders/order/"
# The held example order: its items and freight add up to the seller's 30.25, the marketplace paid 25.71.
DISCOUNT = "The marketplace paid R$4.54 less than its own items and freight add up to"


def get(client, url, accept="en"):
    page = markup(client.get(url, HTTP_ACCEPT_LANGUAGE=accept))
    return re.sub(r'(?s)<nav class="sticky" id="nav-sidebar".*?</nav>', " ", page)


def test_the_order_page_says_why_it_diverges(client, viewer, held_order):
    client.force_login(viewer)
    why = section(get(client, f"{ORDERS}{held_order.pk}/change/"), "order-explanation")
    assert "Why it diverges" in why
    assert f"{DISCOUNT} +R$4.54" in why
    assert "Difference: seller value minus paid value +R$4.54" in why
    assert "The marketplace gave a discount of R$4.54 on its own total" in why


def test_the_order_page_says_why_in_portuguese_with_the_accounts_money(client, approver, held_order):
    client.force_login(approver)
    shown = get(client, f"{ORDERS}{held_order.pk}/change/", "pt-BR")
    assert english_left(shown, "pt_BR") == []
    assert "O marketplace pagou R$\xa04,54 a menos do que somam os próprios itens e frete" in shown
    why = section(shown, "order-explanation")  # its words, the no-break spaces read as spaces
    assert (
        "Por que diverge O marketplace pagou R$ 4,54 a menos do que somam os próprios itens e frete +R$ 4,54"
        in why
    )
    assert "Diferença: valor do vendedor menos valor pago +R$ 4,54" in why
    assert "Causas prováveis O marketplace deu um desconto de R$ 4,54 sobre o próprio total" in why


def test_taxes_are_shown_not_counted_and_an_order_without_divergence_says_so(client, viewer, held_order):
    client.force_login(viewer)
    url = f"{ORDERS}{held_order.pk}/change/"
    Order.objects.filter(pk=held_order.pk).update(tax_cents=500)
    why = section(get(client, url), "order-explanation")
    assert "Taxes of R$5.00, declared by the marketplace: on both sides, not counted not counted" in why

    Order.objects.filter(pk=held_order.pk).update(paid_value_cents=held_order.seller_value_cents)
    assert section(get(client, url), "order-explanation").endswith("> Why it diverges No divergence.")


def test_the_queue_says_why_in_a_few_words(client, approver, held_order):
    client.force_login(approver)
    assert "Discount by the marketplace R$4.54" in text_of(get(client, QUEUE))
    shown = get(client, QUEUE, "es")
    assert english_left(shown, "es") == []
    assert "Descuento del marketplace 4,54\xa0BRL" in shown


def test_the_approval_email_says_why(held_order, second_approver, django_capture_on_commit_callbacks):
    Preferences.objects.update_or_create(user=second_approver, defaults={"language": "pt-br"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # Bo's first e-mail goes at once
        approval_notify_steps(
            task_ids=[held_order.approval_task.pk], now=timezone.now() + timedelta(minutes=241)
        )
    (message,) = mail.outbox
    assert "O marketplace pagou R$\xa04,54 a menos do que somam os próprios itens e frete: +R$\xa04,54" in (
        message.body
    )
    assert english_left(re.sub(r"https?://\S+", " ", message.body), "pt_BR") == []


def test_the_first_approvers_email_in_english_says_why(held_order):
    (message,) = mail.outbox
    assert "Why it diverges:" in message.body
    assert f"  - {DISCOUNT}: +R$4.54" in message.body


def test_the_csv_exports_say_why_beside_the_cents(client, viewer, held_order):
    client.force_login(viewer)
    for url in (ORDERS, QUEUE):
        response = client.get(f"{url}export.csv")
        text = b"".join(response.streaming_content).decode()
        (row,) = csv.DictReader(io.StringIO(text))
        assert row["divergence_explained"] == DISCOUNT
        assert row["paid_value_cents"] == "2571"


def test_the_queue_names_an_earlier_price_as_the_cause(client, owner, approver, second_approver, shop):
    """SKU 1 cost 9.75 until it went up to 14.75; the marketplace still charged 9.75, and 0.29 less overall."""
    shop.sku.price_cents = 1475
    shop.sku.save()
    held = place_held(shop.connector, paid=2996, marketplaceOrderId="E")
    assert held.seller_value_cents == 3525
    client.force_login(approver)
    assert "SKU 1 at an earlier price" in text_of(get(client, QUEUE))
    assert "SKU 1 a um preço anterior" in text_of(get(client, QUEUE, "pt-BR"))
