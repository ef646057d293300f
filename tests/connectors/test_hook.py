"""The order hook: ping on save, delivery with the contract's body and the configured headers, retries."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.hook import hook_deliveries_requeue_due, hook_retry_delay
from connectors.models import HookDelivery
from tests.connectors.oms_support import component_schema, contract_errors, hook_calls, hook_url
from tests.orders.payloads import order_body
from tests.support.clients import api_error

CONFIG = "/api/orders/hook/config"
STATUSES = ["payment-pending", "ready-for-handling", "canceled"]
# The same whatever went wrong: the answer must not tell what listens on an address.
PING_FAILED = "hook.url: the hook URL did not answer the ping with HTTP 200 in time."


def configure(oms, other_server, statuses=STATUSES, headers=None):
    return oms.post(
        CONFIG,
        {
            "filter": {"type": "FromWorkflow", "status": statuses},
            "hook": {"url": hook_url(other_server), "headers": headers or {"key": "value"}},
        },
    )


def test_saving_a_hook_pings_its_url_with_its_headers(oms, other_server):
    response = configure(oms, other_server, headers={"X-Token": "s3cret"})
    assert response.status_code == 200, response.json()
    (ping,) = hook_calls(other_server)
    assert ping.body == {"hookConfig": "ping"}
    assert ping.headers["X-Token"] == "s3cret"
    expected = {
        "filter": {"type": "FromWorkflow", "status": STATUSES},
        "hook": {"url": hook_url(other_server), "headers": {"X-Token": "s3cret"}},
    }
    assert response.json() == expected
    assert oms.get(CONFIG).json() == expected


@pytest.mark.parametrize("answer", [500, 404, 204, 302])
def test_a_url_that_does_not_answer_the_ping_with_200_is_refused_and_nothing_is_saved(
    oms, other_server, answer
):
    other_server.respond_with(answer)
    response = configure(oms, other_server)
    assert api_error(response) == (400, "OMS005")
    assert response.json()["error"]["message"] == PING_FAILED
    assert api_error(oms.get(CONFIG)) == (404, "OMS002")


def test_a_url_that_cannot_be_reached_is_refused(oms, closed_port):
    response = oms.post(
        CONFIG,
        {
            "filter": {"type": "FromWorkflow", "status": ["canceled"]},
            "hook": {"url": f"http://127.0.0.1:{closed_port}/hook"},
        },
    )
    assert api_error(response) == (400, "OMS005")
    assert response.json()["error"]["message"] == PING_FAILED


def test_a_ping_that_times_out_is_refused(oms, other_server):
    other_server.respond_with("hang")
    response = configure(oms, other_server)
    assert api_error(response) == (400, "OMS005")
    assert response.json()["error"]["message"] == PING_FAILED


def test_the_hook_waits_five_seconds_by_default():
    from django.conf import settings

    assert settings.HOOK_TIMEOUT_SECONDS == 5


def test_each_status_change_is_posted_with_the_contracts_body_and_the_headers(oms, mkp, shop, other_server):
    configure(oms, other_server, headers={"X-Token": "s3cret"})
    mkp.place(order_body())
    _ping, call = hook_calls(other_server)
    assert contract_errors(call.body, component_schema("HookConfiguration")) == []
    assert call.body["Domain"] == "Fulfillment"
    assert (call.body["OrderId"], call.body["State"], call.body["LastState"]) == (
        "MKP-123456789",
        "payment-pending",
        "",
    )
    assert call.body["Origin"] == {"Account": "acme", "Key": shop.credentials.app_key}
    assert call.body["LastChange"] == call.body["CurrentChange"]
    assert call.headers["X-Token"] == "s3cret"
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["X-Event-Id"] == call.headers["Idempotency-Key"] == call.body["EventId"]
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count) == ("delivered", 1)


def test_the_hook_and_the_feed_carry_the_same_event_id(oms, mkp, other_server):
    configure(oms, other_server)
    oms.post("/api/orders/feed/config", {})
    mkp.place(order_body())
    (item,) = oms.get("/api/orders/feed?maxlot=10").json()
    assert hook_calls(other_server)[-1].body["EventId"] == item["eventId"]


def test_changes_of_an_order_arrive_in_order(oms, mkp, other_server):
    configure(oms, other_server)
    mkp.place(order_body(marketplaceOrderStatus="approved"))
    oms.post("/api/oms/pvt/orders/MKP-123456789/cancel", {"reason": "Customer gave up"})
    states = [(call.body["LastState"], call.body["State"]) for call in hook_calls(other_server)[1:]]
    assert states == [("", "ready-for-handling"), ("ready-for-handling", "canceled")]


def test_statuses_outside_the_filter_are_not_sent(oms, mkp, other_server):
    configure(oms, other_server, statuses=["canceled"])
    mkp.place(order_body())
    assert len(hook_calls(other_server)) == 1  # the ping
    assert HookDelivery.objects.count() == 0


@pytest.mark.parametrize("transient", [500, 503, 408, 429])
def test_failures_are_retried_with_the_same_event_id(oms, mkp, other_server, transient):
    configure(oms, other_server)
    other_server.respond_with(transient, transient, 200)
    mkp.place(order_body())
    calls = hook_calls(other_server)[1:]
    assert len(calls) == 3
    assert len({call.headers["X-Event-Id"] for call in calls}) == 1
    assert [call.headers["X-Hook-Attempt"] for call in calls] == ["1", "2", "3"]
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count) == ("delivered", 3)
    assert list(delivery.attempts.values_list("http_status", flat=True)) == [transient, transient, 200]


def test_a_timeout_is_retried(oms, mkp, other_server):
    configure(oms, other_server)
    other_server.respond_with("hang", 200)
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert delivery.state == "delivered"
    first = delivery.attempts.first()
    assert (first.http_status, first.error) == (None, "Timed out after 2 s")  # the oms fixture's timeout


def test_delays_grow_between_tries(settings):
    settings.HOOK_RETRY_BASE_SECONDS = 10
    settings.HOOK_RETRY_MAX_SECONDS = 3600
    delays = [hook_retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 20)]
    assert 9 <= delays[0] <= 11 and 18 <= delays[1] <= 22 and 36 <= delays[2] <= 44 and 72 <= delays[3] <= 88
    assert delays[4] <= 3600 * 1.1


def test_a_retry_waits_for_its_delay(oms, mkp, other_server, settings):
    configure(oms, other_server)
    settings.HOOK_RETRY_BASE_SECONDS = 60
    other_server.respond_with(500)
    before = timezone.now()
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count, delivery.last_error) == ("pending", 1, "HTTP 500")
    assert delivery.next_attempt_at >= before + timedelta(seconds=50)


def test_after_the_last_try_the_delivery_is_failed_and_a_resend_delivers_it(oms, mkp, other_server, settings):
    from connectors.hook import hook_delivery_resend

    configure(oms, other_server)
    settings.HOOK_MAX_ATTEMPTS = 2
    other_server.respond_with(500, 500)
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count, delivery.last_error) == ("failed", 2, "HTTP 500")
    with oms.capture(execute=True):
        assert hook_delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert hook_delivery_resend(delivery=delivery) is False


def test_a_4xx_other_than_408_and_429_is_final(oms, mkp, other_server):
    configure(oms, other_server)
    other_server.respond_with(404)
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count, delivery.last_status) == ("failed", 1, 404)


def test_deliveries_are_signed_when_the_connector_has_a_secret(oms, mkp, shop, other_server):
    from connectors.services import connector_set_secret

    connector_set_secret(connector=shop.connector, secret="s3cret")
    configure(oms, other_server)
    mkp.place(order_body())
    call = hook_calls(other_server)[-1]
    assert (
        call.headers["X-Signature-SHA256"]
        == "sha256=" + hmac.new(b"s3cret", call.raw, hashlib.sha256).hexdigest()
    )


def test_after_the_hook_is_deleted_nothing_more_is_sent(oms, mkp, other_server, settings):
    configure(oms, other_server)
    settings.HOOK_RETRY_BASE_SECONDS = 60
    other_server.respond_with(500)
    mkp.place(order_body())
    assert oms.delete(CONFIG).status_code == 200
    assert api_error(oms.get(CONFIG)) == (404, "OMS002")
    assert api_error(oms.delete(CONFIG)) == (404, "OMS002")
    HookDelivery.objects.update(next_attempt_at=timezone.now())
    from connectors.hook import hook_deliver

    assert hook_deliver(delivery_id=HookDelivery.objects.get().pk) == "failed"
    assert HookDelivery.objects.get().last_error == "The hook was removed."
    mkp.place(order_body(marketplaceOrderId="2"))
    assert len(hook_calls(other_server)) == 2  # the ping and the one failed call


def test_the_sweep_queues_deliveries_whose_task_was_lost(oms, mkp, other_server, settings):
    configure(oms, other_server)
    settings.HOOK_RETRY_BASE_SECONDS = 60
    other_server.respond_with(500)
    mkp.place(order_body())
    HookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    with oms.capture(execute=True):
        assert hook_deliveries_requeue_due() == 1
    assert HookDelivery.objects.get().state == "delivered"
    assert len(hook_calls(other_server)) == 3


def test_a_hook_configured_again_replaces_url_headers_and_filter(oms, mkp, other_server):
    configure(oms, other_server, headers={"X-Token": "one"})
    response = oms.post(
        CONFIG,
        {
            "filter": {"type": "FromWorkflow", "status": ["canceled"]},
            "hook": {"url": hook_url(other_server)},
        },
    )
    assert response.json() == {
        "filter": {"type": "FromWorkflow", "status": ["canceled"]},
        "hook": {"url": hook_url(other_server), "headers": {}},
    }
    mkp.place(order_body())
    assert len(hook_calls(other_server)) == 2  # two pings, no payment-pending change


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        ({"url": "ftp://{address}/hook"}, "hook.url: Give an http:// or https:// URL."),
        ({"url": "http://{address}\\@8.8.8.8/x"}, "hook.url: A URL may not contain a backslash."),
        ({"headers": {}}, "hook.url: an http:// or https:// URL"),
        ({"url": "{url}", "headers": {"Bad Name": "x"}}, "hook.headers: 'Bad Name' is not a header name."),
        ({"url": "{url}", "headers": {"Idempotency-Key": "x"}}, "is set by the app on every call"),
        ({"url": "{url}", "headers": {"X-Token": "a\r\nInjected: 1"}}, "a string on one line"),
        ({"url": "{url}", "headers": {"X-Token": 5}}, "a string on one line"),
    ],
)
def test_a_hook_with_errors_answers_400_before_any_ping(oms, other_server, hook, message):
    """Each URL is the hook endpoint's own (in a form refused), so a ping sent anyway would reach it."""
    configure(oms, other_server, headers={"X-Token": "kept"})
    saved = oms.get(CONFIG).json()
    if "url" in hook:
        address = other_server.url.split("/")[2]
        hook = {**hook, "url": hook["url"].format(url=hook_url(other_server), address=address)}
    response = oms.post(CONFIG, {"filter": {"type": "FromWorkflow", "status": ["canceled"]}, "hook": hook})
    assert api_error(response) == (400, "OMS001")
    assert message in response.json()["error"]["message"]
    assert [call.body for call in hook_calls(other_server)] == [{"hookConfig": "ping"}]  # the first save's
    assert oms.get(CONFIG).json() == saved


def test_a_hook_filter_mixing_status_and_expression_answers_409(oms, other_server):
    response = oms.post(
        CONFIG,
        {
            "filter": {"type": "FromWorkflow", "status": ["canceled"], "disableSingleFire": False},
            "hook": {"url": hook_url(other_server)},
        },
    )
    assert api_error(response) == (409, "OMS004")
    assert hook_calls(other_server) == []


def test_the_hooks_headers_are_stored_encrypted(oms, other_server):
    from connectors.models import HookConfig

    configure(oms, other_server, headers={"Authorization": "Bearer s3cret"})
    hook = HookConfig.objects.get()
    assert "s3cret" not in hook.headers_encrypted
    assert hook.headers == {"Authorization": "Bearer s3cret"}


def test_the_hook_needs_the_connectors_credentials(client, shop):
    assert api_error(client.get(CONFIG)) == (401, "OMS006")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hook", "hook.url: 127.0.0.1 is a loopback address; use a public address."),
        ("http://localhost/hook", "hook.url: localhost is this server itself; use a public address."),
        ("http://10.0.0.7/hook", "hook.url: 10.0.0.7 is a private address; use a public address."),
        ("http://[::1]/hook", "hook.url: ::1 is a loopback address; use a public address."),
    ],
)
def test_a_hook_on_a_private_or_local_address_is_refused_without_a_call(
    oms, other_server, settings, url, message
):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = False
    response = oms.post(
        CONFIG, {"filter": {"type": "FromWorkflow", "status": ["canceled"]}, "hook": {"url": url}}
    )
    assert api_error(response) == (400, "OMS001")
    assert response.json()["error"]["message"] == message
    assert api_error(oms.get(CONFIG)) == (404, "OMS002")


def test_a_hook_whose_address_became_private_is_not_called(oms, mkp, other_server, settings):
    configure(oms, other_server)
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = False
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count, delivery.last_error) == (
        "failed",
        1,
        "Not sent: the URL or its address is not public (outbound address policy).",
    )
    assert len(hook_calls(other_server)) == 1  # the ping only
