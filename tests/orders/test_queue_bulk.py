"""Bulk decisions in the queue: a confirmation with the count and the value first, then one message;
a large selection as a background job with a progress page."""

import html
from datetime import timedelta

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Stock
from orders import bulk
from orders.bulk_words import bulk_summary
from orders.models import BulkDecision, Order
from orders.reservations import reservations_expire
from tests.orders.conftest import QUEUE, messages_of, rows
from tests.support.i18n import english_left
from tests.support.pages import markup, messages, page, text_of

WAITING = "waiting-for-manual-authorization"


def select(client, action, orders, path=QUEUE, **extra):
    """Tick the orders on the queue's page at `path` and run the action."""
    return client.post(
        path,
        {"action": action, "index": "0", "_selected_action": [order.pk for order in orders], **extra},
        follow=True,
    )


def confirm(client, action, orders, path=QUEUE, **fields):
    """Send the confirmation page's form: the ticked orders, the action and its fields."""
    return client.post(
        path,
        {"action": action, "_selected_action": [order.pk for order in orders], "confirm": "1", **fields},
        follow=True,
    )


def statuses() -> dict[str, str]:
    return dict(Order.objects.values_list("marketplace_order_id", "status"))


# The confirmation


def test_approving_a_selection_asks_first_with_its_count_and_value_then_says_it_in_one_message(
    client, second_approver, queue
):
    client.force_login(second_approver)

    confirmation = select(client, "approve_selected", queue)

    shown = text_of(markup(confirmation))
    assert "Approve 2 orders, paid R$48.40 in all?" in shown
    assert "MKP-A A R$25.71 +15.01 %" in shown and "MKP-B B R$22.69 +24.99 %" in shown
    assert "you may not decide" not in shown
    assert statuses() == {"A": WAITING, "B": WAITING}

    response = confirm(client, "approve_selected", queue, note="Promotion week")

    assert messages(response) == [("success", "2 of 2 orders approved (R$48.40).")]
    assert set(statuses().values()) == {"payment-pending"}
    assert rows(html.unescape(response.content.decode())) == []


def test_the_confirmation_reads_in_portuguese_with_the_brazilian_money(client, second_approver, queue):
    older, newer = queue
    Order.objects.filter(pk=older.pk).update(paid_value_cents=100_000)
    Order.objects.filter(pk=newer.pk).update(paid_value_cents=23_456)
    client.force_login(second_approver)

    confirmation = client.post(
        QUEUE,
        {"action": "approve_selected", "index": "0", "_selected_action": [older.pk, newer.pk]},
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert "Aprovar 2 pedidos, pagos R$ 1.234,56 no total?" in text_of(markup(confirmation))
    assert english_left(confirmation, "pt_BR") == []
    response = client.post(
        QUEUE,
        {"action": "approve_selected", "_selected_action": [older.pk, newer.pk], "confirm": "1", "note": ""},
        HTTP_ACCEPT_LANGUAGE="pt-BR",
        follow=True,
    )
    assert messages(response) == [("success", "2 de 2 pedidos aprovados (R$ 1.234,56).")]


def test_the_confirmation_names_the_orders_the_user_may_not_decide_and_leaves_them(client, approver, queue):
    client.force_login(approver)

    confirmation = text_of(markup(select(client, "approve_selected", queue)))

    assert "Approve 2 orders, paid R$48.40 in all?" in confirmation
    assert "1 of these you may not decide; it will be left as it is: MKP-B." in confirmation
    response = confirm(client, "approve_selected", queue, note="")
    assert messages(response) == [
        ("warning", "1 of 2 orders approved (R$25.71). 1 was not: MKP-B you may not decide.")
    ]
    assert statuses() == {"A": "payment-pending", "B": WAITING}


def test_denying_a_selection_asks_for_a_reason_and_a_note_with_the_count_and_value(
    client, second_approver, queue, connector_server
):
    client.force_login(second_approver)
    confirmation = select(client, "deny_selected", queue)
    text = html.unescape(confirmation.content.decode())
    assert "Deny 2 orders, paid R$48.40 in all?" in text_of(text)
    assert "MKP-A" in text and "MKP-B" in text
    assert '<option value="price-error">Price error</option>' in text

    missing_note = client.post(
        QUEUE,
        {
            "action": "deny_selected",
            "_selected_action": [order.pk for order in queue],
            "confirm": "1",
            "reason_code": "price-error",
            "note": "",
        },
    )
    assert missing_note.status_code == 200
    assert "This field is required." in missing_note.content.decode()
    assert set(statuses().values()) == {WAITING}

    response = confirm(
        client, "deny_selected", queue, reason_code="price-error", note="Feed had the old price"
    )
    assert messages(response) == [("success", "2 of 2 orders denied (R$48.40).")]
    assert set(statuses().values()) == {"canceled"}
    assert rows(html.unescape(response.content.decode())) == []


def test_the_confirmation_keeps_the_queue_page_it_came_from_and_the_admin_breadcrumbs(
    client, second_approver, queue
):
    client.force_login(second_approver)
    came_from = f"{QUEUE}?divergence_from=10&o=-1"

    confirmation = markup(select(client, "approve_selected", queue, path=came_from))

    back = came_from
    assert f'<a href="{back}" class="button cancel-link">No, take me back</a>' in confirmation
    assert (
        '<ol class="breadcrumbs">\n<li><a href="/admin/">Home</a></li>\n'
        '<li><a href="/admin/orders/">Orders</a></li>\n'
        f'<li><a href="{back}">Waiting for manual authorization</a></li>\n'
        '<li aria-current="page">Approve the selected orders</li>\n</ol>'
    ) in confirmation
    assert '<form method="post" id="approve_selected-form">' in confirmation


def test_all_of_the_filtered_queue_is_counted_and_summed_in_one_query(client, second_approver, queue, hold):
    hold("C", paid=2269)
    client.force_login(second_approver)

    with CaptureQueriesContext(connection) as queries:
        confirmation = select(
            client, "approve_selected", queue[:1], path=f"{QUEUE}?divergence_from=20", select_across="1"
        )

    assert "Approve 2 orders, paid R$45.38 in all?" in text_of(markup(confirmation))
    assert "Every order of the filtered queue is included." in text_of(markup(confirmation))
    assert len([query for query in queries.captured_queries if "SUM(" in query["sql"]]) == 1
    response = confirm(
        client, "approve_selected", queue[:1], path=f"{QUEUE}?divergence_from=20", select_across="1", note=""
    )
    assert messages(response) == [("success", "2 of 2 orders approved (R$45.38).")]
    assert statuses() == {"A": WAITING, "B": "payment-pending", "C": "payment-pending"}


def test_a_selection_over_the_most_is_refused_before_anything_is_decided(
    client, second_approver, queue, monkeypatch
):
    monkeypatch.setattr(bulk, "SELECTION_MAX", 1)
    client.force_login(second_approver)

    response = select(client, "approve_selected", queue[:1], select_across="1")

    assert messages(response) == [("error", "Select at most 1 orders at once.")]
    assert set(statuses().values()) == {WAITING}


# One message after


def test_after_a_bulk_approval_one_message_names_the_orders_not_decided_by_why(
    client, approver, second_approver, queue, hold, api_client_for
):
    mine, not_mine = queue
    decided_meanwhile = hold("C")
    no_stock = hold("D")
    client.force_login(approver)
    confirmation = text_of(
        markup(select(client, "approve_selected", [mine, not_mine, decided_meanwhile, no_stock]))
    )
    assert "Approve 4 orders, paid R$99.82 in all?" in confirmation
    api_client_for(second_approver).post("/api/orders/MKP-C/approve?an=acme", {}, format="json")
    Order.objects.filter(pk=no_stock.pk).update(reservation_expires_at=timezone.now() - timedelta(minutes=1))
    reservations_expire()
    Stock.objects.update(quantity=F("reserved"))

    response = confirm(client, "approve_selected", [mine, not_mine, decided_meanwhile, no_stock], note="")

    assert messages(response) == [
        (
            "warning",
            "1 of 4 orders approved (R$25.71). 3 were not: MKP-C was already decided; MKP-B you may not decide; "
            "Order MKP-D cannot be approved: its reservation ran out and SKU 1 has no stock left.",
        )
    ]
    assert statuses() == {"A": "payment-pending", "B": WAITING, "C": "payment-pending", "D": WAITING}
    assert rows(html.unescape(response.content.decode())) == ["MKP-B", "MKP-D"]


def test_a_selection_none_of_which_waits_any_more_is_said_so(client, second_approver, queue, api_client_for):
    client.force_login(second_approver)
    for order in queue:
        api_client_for(second_approver).post(
            f"/api/orders/{order.main_order_id}/approve?an=acme", {}, format="json"
        )

    response = select(client, "deny_selected", queue)

    assert messages_of(response) == [
        "None of the selected orders waits for a decision any more; nothing was done."
    ]


def test_a_long_list_of_orders_not_decided_names_the_first_ten_and_counts_the_rest():
    results = [
        {"order": n, "main_order_id": f"MKP-{n}", "ok": False, "message": "", "refusal": "permission_denied"}
        for n in range(1, 13)
    ]

    assert bulk_summary(results, "deny") == (
        40,
        "0 of 12 orders denied: MKP-1, MKP-2, MKP-3, MKP-4, MKP-5, MKP-6, MKP-7, MKP-8, MKP-9, "
        "MKP-10 and 2 more you may not decide.",
    )
    no_stock = [
        {"order": n, "main_order_id": f"MKP-{n}", "ok": False, "message": f"Order MKP-{n} has no stock left."}
        for n in range(1, 13)
    ]
    assert bulk_summary(no_stock, "approve")[1] == (
        "0 of 12 orders approved: "
        + "; ".join(f"Order MKP-{n} has no stock left" for n in range(1, 11))
        + "; 2 more could not be decided."
    )


# Many at once, in the background


def test_a_large_selection_runs_as_a_job_whose_progress_page_ends_with_the_summary(
    client, second_approver, approver, queue, hold, settings, django_capture_on_commit_callbacks
):
    third = hold("C")
    settings.BULK_DECISION_INLINE_MAX = 2
    client.force_login(second_approver)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = confirm(client, "approve_selected", [*queue, third], note="")
    job = BulkDecision.objects.get()
    assert messages(response) == [
        ("info", "3 orders are being approved in the background: follow the progress.")
    ]
    assert f'<a href="{QUEUE}bulk/{job.pk}/">follow the progress</a>' in response.content.decode()
    progress = page(client, f"{QUEUE}bulk/{job.pk}/")
    assert "Waiting to start: 0 of 3 orders done, 0 approved, 0 not." in text_of(progress)
    assert "orders approved (" not in text_of(progress)
    assert (job.user, job.total, job.state) == (second_approver, 3, "pending")

    for callback in queued:
        callback()  # the worker picks the job up

    progress = page(client, f"{QUEUE}bulk/{job.pk}/")
    assert "Done: 3 of 3 orders done, 3 approved, 0 not." in text_of(progress)
    assert '<li class="success">3 of 3 orders approved (R$74.11).</li>' in progress
    assert (
        '<ol class="breadcrumbs">\n<li><a href="/admin/">Home</a></li>\n'
        '<li><a href="/admin/orders/">Orders</a></li>\n'
        f'<li><a href="{QUEUE}">Waiting for manual authorization</a></li>\n'
        '<li aria-current="page">Approve 3 orders</li>\n</ol>'
    ) in progress
    for marketplace_order_id in "ABC":
        assert f"Order MKP-{marketplace_order_id} approved." in text_of(progress)
    assert set(Order.objects.values_list("status", flat=True)) == {"payment-pending"}
    polled = client.get(f"{QUEUE}bulk/{job.pk}/progress.json?since=2").json()
    assert (polled["state"], polled["done"], polled["total"], polled["decided"]) == ("done", 3, 3, 3)
    assert (polled["summary"], polled["summaryLevel"]) == ("3 of 3 orders approved (R$74.11).", "success")
    assert [result["main_order_id"] for result in polled["results"]] == ["MKP-C"]
    assert polled["results"][0]["url"] == f"/admin/orders/order/{third.pk}/change/"

    client.force_login(approver)
    assert client.get(f"{QUEUE}bulk/{job.pk}/").status_code == 404


def test_a_job_run_again_decides_nothing_twice(
    client, second_approver, queue, settings, django_capture_on_commit_callbacks
):
    settings.BULK_DECISION_INLINE_MAX = 1
    client.force_login(second_approver)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, "approve_selected", queue, note="")
    job = BulkDecision.objects.get()
    assert job.state == "done"
    assert bulk.bulk_decision_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert len(job.results) == 2


def test_a_job_whose_message_was_lost_is_started_by_the_sweep(
    client, second_approver, queue, settings, django_capture_on_commit_callbacks
):
    from orders.tasks import sweep_bulk_decisions

    settings.BULK_DECISION_INLINE_MAX = 1
    client.force_login(second_approver)
    with django_capture_on_commit_callbacks(execute=False):
        confirm(client, "approve_selected", queue, note="")  # the broker never hears of it
    job = BulkDecision.objects.get()
    assert sweep_bulk_decisions() == 0  # too early: the worker may still pick it up
    BulkDecision.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert sweep_bulk_decisions() == 1
    job.refresh_from_db()
    assert (job.state, job.done) == ("done", 2)
    assert set(Order.objects.values_list("status", flat=True)) == {"payment-pending"}
