"""The demo connector's receiver: what bin/run's demo connector is sent, kept and shown in the admin."""

import json

import pytest
from django.contrib.auth import get_user_model

from accounts.roles import Role
from connectors import egress
from connectors.hook import hook_configure
from connectors.models import Connector, DeliveryState, Notification
from connectors.signing import signature_headers
from demo.models import CallKind, ReceivedCall
from demo.names import ACCOUNT, CONNECTOR_NAME
from tests.factories import member
from tests.support.clients import client_for
from tests.support.demo import load_demo, password_of, value_of
from tests.support.i18n import english_left
from tests.support.pages import markup, text

NOTIFICATION_PATH = "/demo/connector/order-integration/notification/processing-result?an=demo-seller"
LIST = "/admin/demo/receivedcall/"
BODY = {
    "marketplaceOrderId": "100001",
    "accountName": "demo-seller",
    "code": "SOI001",
    "flow": "PlaceOrder",
    "success": True,
    "operationId": None,
    "errors": None,
    "fields": {"mainOrderId": "MKP-100001", "franchiseOrderId": None},
    "message": "Order successfully integrated",
}


@pytest.fixture
def receiver(settings):
    settings.DEMO_RECEIVER = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    return settings


@pytest.fixture
def demo(db, tmp_path, receiver) -> str:
    """The demo account, loaded with the receiver on; what load_demo printed."""
    return load_demo(tmp_path / "demo-credentials.txt")


def send(client, body: dict, *, secret: str | None, path: str = NOTIFICATION_PATH, **headers):
    payload = json.dumps(body, separators=(",", ":")).encode()
    if secret is not None:
        headers |= signature_headers(payload, secret, message_id="msg_2f1c")
    return client.post(path, data=payload, content_type="application/json", headers=headers)


def test_a_signed_notification_is_kept_with_what_it_says_and_answered_200(client, demo):
    answer = send(
        client,
        BODY,
        secret=value_of(demo, "Signing secret"),
        **{"Idempotency-Key": "6f1c0c52-8d1e-4a39-9a43-0d7b3b1a2f10", "X-Notification-Attempt": "2"},
    )
    assert answer.status_code == 200
    (call,) = ReceivedCall.objects.all()
    assert (call.kind, call.code, call.order, call.idempotency_key, call.attempt, call.signature_valid) == (
        CallKind.NOTIFICATION,
        "SOI001",
        "100001",
        "6f1c0c52-8d1e-4a39-9a43-0d7b3b1a2f10",
        2,
        True,
    )
    assert call.path == NOTIFICATION_PATH
    assert call.body == BODY
    assert call.account.name == ACCOUNT
    assert answer.json() == {"received": call.pk, "signatureValid": True}


def test_a_call_signed_with_another_secret_or_not_signed_is_kept_as_invalid(client, demo):
    assert send(client, BODY, secret="not-the-demo-connectors").status_code == 200
    assert send(client, BODY, secret=None).status_code == 200
    assert list(ReceivedCall.objects.values_list("signature_valid", flat=True)) == [False, False]


def test_a_call_missing_either_signature_or_with_a_forged_one_is_kept_as_invalid(client, demo):
    secret = value_of(demo, "Signing secret")
    payload = json.dumps(BODY, separators=(",", ":")).encode()
    signed = signature_headers(payload, secret, message_id="msg_2f1c")
    ours_only = {"X-Signature-SHA256": signed["X-Signature-SHA256"]}
    standard_only = {name: value for name, value in signed.items() if name.startswith("webhook-")}
    another_id = {**signed, "webhook-id": "msg_another"}
    for headers in (ours_only, standard_only, another_id):
        client.post(NOTIFICATION_PATH, data=payload, content_type="application/json", headers=headers)
    client.post(NOTIFICATION_PATH, data=payload, content_type="application/json", headers=signed)
    assert list(ReceivedCall.objects.order_by("pk").values_list("signature_valid", flat=True)) == [
        False,
        False,
        False,
        True,
    ]


def test_a_body_that_is_not_json_is_kept_as_its_text(client, demo):
    answer = client.post("/demo/connector/anything", data=b"plain words", content_type="text/plain")
    assert answer.status_code == 200
    (call,) = ReceivedCall.objects.all()
    assert (call.kind, call.body, call.code, call.signature_valid) == (
        CallKind.OTHER,
        "plain words",
        "",
        False,
    )


def test_the_hook_ping_and_a_hook_call_are_told_apart(client, demo):
    secret = value_of(demo, "Signing secret")
    send(client, {"hookConfig": "ping"}, secret=secret, path="/demo/connector/hook")
    send(
        client,
        {"OrderId": "MKP-100001", "State": "payment-pending"},
        secret=secret,
        path="/demo/connector/hook",
    )
    assert list(ReceivedCall.objects.values_list("kind", "code", "order", "signature_valid")) == [
        (CallKind.HOOK, "payment-pending", "MKP-100001", True),
        (CallKind.PING, "", "", True),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_without_the_setting_the_receiver_is_not_there(db, client, settings, method):
    settings.DEMO_RECEIVER = False
    assert getattr(client, method)(NOTIFICATION_PATH).status_code == 404
    assert getattr(client, method)("/demo/connector").status_code == 404
    assert not ReceivedCall.objects.exists()


def test_with_the_setting_only_posts_are_received(client, receiver, db):
    assert client.get(NOTIFICATION_PATH).status_code == 405
    assert not ReceivedCall.objects.exists()


def demo_member(output: str, email: str):
    """The browser of a demo user, signed in with the password load_demo printed."""
    browser = client_for()
    assert browser.login(username=email, password=password_of(output, email))
    return browser


def test_the_admin_lists_what_was_received_newest_first_to_the_demo_accounts_members(client, demo):
    secret = value_of(demo, "Signing secret")
    send(client, BODY, secret=secret)
    send(client, {**BODY, "marketplaceOrderId": "100002", "code": "EOI003"}, secret="wrong")
    viewer = demo_member(demo, "viewer@demo.example")

    page = viewer.get(LIST)
    words = text(page)
    assert "Received by the demo connector" in words
    assert words.index("100002") < words.index("100001")  # newest first
    assert "EOI003" in words and "SOI001" in words
    assert 'alt="False"' in page.content.decode() and 'alt="True"' in page.content.decode()

    call = ReceivedCall.objects.get(order="100001")
    detail = viewer.get(f"{LIST}{call.pk}/change/")
    assert "Order successfully integrated" in text(detail)  # the body, as sent
    assert "MKP-100001" in text(detail)


def content(response) -> str:
    """The page's own part: not the sidebar, which lists other apps' screens, nor the user's e-mail."""
    page = markup(response)
    start = page.index(">", page.index('id="content-start"')) + 1
    return page[start : page.index("</main>")]


def test_the_list_speaks_portuguese_and_spanish(client, demo):
    send(client, BODY, secret=value_of(demo, "Signing secret"))
    viewer = demo_member(demo, "viewer@demo.example")
    call = ReceivedCall.objects.get()

    portuguese = viewer.get(LIST, HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert "Recebido pelo conector de demonstração" in text(portuguese)
    assert "Resultado do processamento" in text(portuguese)
    assert english_left(content(portuguese), "pt_BR") == []
    detail = viewer.get(f"{LIST}{call.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert "assinatura válida" in text(detail).lower()
    as_sent = content(detail).replace(call.path, "").split('class="oa-json"')[0]  # the path and body
    assert english_left(as_sent, "pt_BR") == []
    spanish = viewer.get(LIST, HTTP_ACCEPT_LANGUAGE="es")
    assert "Recibido por el conector de demostración" in text(spanish)
    # Django's own Spanish catalog leaves its search form's hidden heading ("Search %(name)s") in English.
    assert english_left(content(spanish), "es") in ([], ["Search"])


def test_nobody_adds_changes_or_deletes_and_other_accounts_do_not_see_it(client, demo, other_account):
    send(client, BODY, secret=value_of(demo, "Signing secret"))
    call = ReceivedCall.objects.get()
    owner = demo_member(demo, "owner@demo.example")
    assert owner.get(f"{LIST}add/").status_code == 403
    assert owner.post(f"{LIST}{call.pk}/delete/", {"post": "yes"}).status_code == 403
    assert owner.post(f"{LIST}{call.pk}/change/", {"code": "X"}).status_code == 403
    assert ReceivedCall.objects.get().code == "SOI001"
    assert "/admin/demo/" in owner.get("/admin/").content.decode()

    stranger = client_for(member(other_account, Role.OWNER, "owner@globex.example"))
    assert stranger.get(LIST).status_code == 403
    assert stranger.get(f"{LIST}{call.pk}/change/").status_code in (302, 403)
    assert "/admin/demo/" not in stranger.get("/admin/").content.decode()

    superuser = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "x")
    assert str(call.order) in text(client_for(superuser).get(LIST))


def test_load_demo_with_the_receiver_on_points_the_demo_connector_at_it(db, tmp_path, settings):
    credentials = tmp_path / "demo-credentials.txt"
    settings.DEMO_RECEIVER = False
    off = load_demo(credentials)
    connector = Connector.objects.get(account__name=ACCOUNT, name=CONNECTOR_NAME)
    assert connector.endpoint == "http://127.0.0.1:9999/demo-connector"
    assert "nothing listens there" in off

    settings.DEMO_RECEIVER, settings.SITE_URL = True, "http://127.0.0.1:8016"
    on = load_demo(credentials)
    connector.refresh_from_db()
    assert connector.endpoint == "http://127.0.0.1:8016/demo/connector"
    assert "Connector:  called at http://127.0.0.1:8016/demo/connector" in on
    assert "what it received: http://127.0.0.1:8016/admin/demo/receivedcall/" in on
    assert load_demo(credentials) == on  # nothing changes the second time
    # The credentials held: only the endpoint moved.
    assert password_of(on, "owner@demo.example") == password_of(off, "owner@demo.example")


def test_load_demo_moves_the_notifications_still_to_send_to_the_receiver(db, tmp_path, settings):
    from connectors.notifications import notification_enqueue

    credentials = tmp_path / "demo-credentials.txt"
    settings.DEMO_RECEIVER = False
    load_demo(credentials)
    connector = Connector.objects.get(account__name=ACCOUNT)
    waiting = notification_enqueue(
        connector=connector,
        account_name=ACCOUNT,
        flow="PlaceOrder",
        code="SOI003",
        marketplace_order_id="100009",
        operation_id="op",
    )
    settings.DEMO_RECEIVER = True
    load_demo(credentials)
    waiting.refresh_from_db()
    assert waiting.url == (
        "http://127.0.0.1:8000/demo/connector/order-integration/notification/processing-result?an=demo-seller"
    )


def test_load_demo_leaves_an_endpoint_someone_chose(db, tmp_path, receiver):
    credentials = tmp_path / "demo-credentials.txt"
    load_demo(credentials)
    Connector.objects.filter(account__name=ACCOUNT).update(endpoint="https://connector.example/api/vtex")
    output = load_demo(credentials)
    assert Connector.objects.get(account__name=ACCOUNT).endpoint == "https://connector.example/api/vtex"
    assert "Connector:  called at https://connector.example/api/vtex\n(kept in" in output


@pytest.fixture
def hung_up():
    """Close the app's kept-alive connections to the live server after the test: the server's
    thread serving one holds a database connection until it closes."""
    yield
    if egress._session is not None:
        egress._session[1].close()
        egress._session = None


def test_the_demo_orders_notifications_and_a_hook_ping_reach_the_receiver(
    live_server, tmp_path, settings, eager_tasks, hung_up
):
    """The real path: load_demo's orders processed by the tasks, each notification POSTed over
    HTTP to the receiver the live server serves, signed with the demo connector's secret."""
    settings.DEMO_RECEIVER, settings.SITE_URL = True, live_server.url
    output = load_demo(tmp_path / "demo-credentials.txt")
    sent = Notification.objects.filter(connector__name=CONNECTOR_NAME)
    assert sent.count() >= 8
    assert set(sent.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
    received = ReceivedCall.objects.filter(kind=CallKind.NOTIFICATION)
    assert sorted(received.values_list("idempotency_key", "code", "order")) == sorted(
        (str(key), code, order)
        for key, code, order in sent.values_list("idempotency_key", "code", "marketplace_order_id")
    )
    assert set(received.values_list("signature_valid", flat=True)) == {True}
    assert "what it received" in output

    connector = Connector.objects.get(name=CONNECTOR_NAME)
    hook_configure(
        connector=connector,
        statuses=["payment-pending"],
        url=f"{live_server.url}/demo/connector/hook",
        headers={},
    )
    ping = ReceivedCall.objects.get(kind=CallKind.PING)
    assert (ping.path, ping.signature_valid) == ("/demo/connector/hook", True)
