"""The connectors' screens in Portuguese and Spanish: every word of ours translated, connector types,
delivery states, flows and order statuses in words, and every contract code with its meaning."""

import pytest

from connectors.codes import MEANINGS, STATUSES
from connectors.contract import MESSAGES
from connectors.filters import FILTER_STATUSES
from connectors.models import HookConfig, HookDelivery, Notification
from tests.connectors.oms_support import hook_url
from tests.factories import connector
from tests.orders.payloads import order_body
from tests.support.i18n_screens import SENT
from tests.support.i18n_screens import screen_english_left as english_left
from tests.support.pages import markup, text, text_of

LANGUAGES = [("pt-BR", "pt_BR"), ("es", "es")]
WORDS = {
    "pt_BR": {
        "type": "Marketplace externo",
        "failed": "Falhou",
        "code": "Pedido integrado",
        "flow": "Criar pedido",
    },
    "es": {
        "type": "Marketplace externo",
        "failed": "Fallida",
        "code": "Pedido integrado",
        "flow": "Crear pedido",
    },
}


@pytest.fixture
def failed(oms, mkp, connector_server, other_server, settings):
    """A notification and a hook delivery that failed: the connector's endpoint and its hook answered 404."""
    settings.HOOK_MAX_ATTEMPTS = 1
    oms.post(
        "/api/orders/hook/config",
        {
            "filter": {"type": "FromWorkflow", "status": ["payment-pending"]},
            "hook": {"url": hook_url(other_server), "headers": {"Authorization": "Bearer s3cret"}},
        },
    )
    oms.post("/api/orders/feed/config", {"filter": {"type": "FromWorkflow", "status": ["payment-pending"]}})
    connector_server.respond_with(404)
    other_server.respond_with(404)
    mkp.place(order_body())
    notification, delivery = Notification.objects.get(), HookDelivery.objects.get()
    assert (notification.state, delivery.state) == ("failed", "failed")
    return notification, delivery


def test_every_contract_code_and_filter_status_has_words_for_people():
    assert set(MEANINGS) == set(MESSAGES)
    assert set(STATUSES) == set(FILTER_STATUSES)


@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_the_connector_pages_speak_the_readers_language(client, owner, account, accept, language):
    market, _ = connector(account, name="Mercado", affiliate_id="MKT", type="external")
    client.force_login(owner)
    listing = client.get("/admin/connectors/connector/", HTTP_ACCEPT_LANGUAGE=accept)
    assert english_left(listing, language) == []
    assert WORDS[language]["type"] in text(listing)
    for url in (
        f"/admin/connectors/connector/{market.pk}/change/",
        f"/admin/connectors/connector/{market.pk}/rotate-token/",
        "/admin/connectors/connector/add/",
    ):
        assert english_left(client.get(url, HTTP_ACCEPT_LANGUAGE=accept), language) == [], url


@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_the_notifications_speak_the_readers_language_with_codes_and_states_in_words(
    client, owner, failed, accept, language
):
    notification, _ = failed
    client.force_login(owner)
    listing = client.get("/admin/connectors/notification/", HTTP_ACCEPT_LANGUAGE=accept)
    assert english_left(listing, language) == []
    shown = text(listing)
    assert f"SOI001 · {WORDS[language]['code']}" in shown
    assert WORDS[language]["failed"] in shown and WORDS[language]["flow"] in shown
    assert "PlaceOrder" not in shown
    detail = client.get(
        f"/admin/connectors/notification/{notification.pk}/change/", HTTP_ACCEPT_LANGUAGE=accept
    )
    assert english_left(detail, language) == []
    assert {"pt_BR": "Não entregue após 1 tentativa", "es": "No entregada tras 1 intento"}[language] in text(
        detail
    )


@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_the_feed_hook_and_deliveries_speak_the_readers_language_with_statuses_in_words(
    client, owner, failed, accept, language
):
    _, delivery = failed
    client.force_login(owner)
    pending = {"pt_BR": "Pagamento pendente", "es": "Pago pendiente"}[language]
    for url in (
        "/admin/connectors/feedconfig/",
        "/admin/connectors/hookconfig/",
        f"/admin/connectors/hookconfig/{HookConfig.objects.get().pk}/change/",
        "/admin/connectors/hookdelivery/",
        f"/admin/connectors/hookdelivery/{delivery.pk}/change/",
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=accept)
        assert english_left(response, language) == [], url
        shown = text_of(SENT.sub(" ", markup(response)))  # the body sent keeps the contract's words
        assert pending in shown and "payment-pending" not in shown, url
