"""The connector admin: each account's connectors, and credentials shown once and never again."""

import pytest

from connectors.models import Connector
from connectors.services import Credentials, app_token_digest
from tests import factories
from tests.support.clients import api_error, connector_headers
from tests.support.connector_admin import add_form, shown_token
from tests.support.pages import messages

CHANGELIST = "/admin/connectors/connector/"


def change_url(connector):
    return f"/admin/connectors/connector/{connector.pk}/change/"


def rotate_url(connector):
    return f"/admin/connectors/connector/{connector.pk}/rotate-token/"


def api_answer(client, credentials) -> tuple[int, str]:
    """What the connector API answers these credentials: (404, OMS002), no such order, once it
    accepted them; (401, OMS006) when it refuses them."""
    return api_error(client.get("/api/oms/pvt/orders/MKP-0", **connector_headers(credentials)))


ACCEPTED, REFUSED = (404, "OMS002"), (401, "OMS006")


@pytest.fixture
def marketplace(account):
    return factories.connector(account, secret="s3cret-signing-key")


def test_owner_sees_the_connectors_of_their_account_only(client, owner, marketplace, other_account):
    factories.connector(other_account, name="Globex market", affiliate_id="GLX")
    client.force_login(owner)
    page = client.get(CHANGELIST).content.decode()
    assert "Marketplace" in page
    assert "https://connector.example/api/vtex" in page
    assert "Globex market" not in page


def test_change_page_never_shows_the_token_or_the_signing_secret(client, owner, marketplace):
    connector, credentials = marketplace
    client.force_login(owner)
    page = client.get(change_url(connector)).content.decode()
    assert connector.app_key in page
    assert "Set (never displayed)." in page
    for secret in (
        credentials.app_token,
        connector.app_token_digest,
        "s3cret-signing-key",
        connector.secret_encrypted,
    ):
        assert secret not in page


def test_owner_rotates_the_token_and_sees_the_new_one_once(
    client, owner, marketplace, django_capture_on_commit_callbacks
):
    connector, old = marketplace
    assert api_answer(client, old) == ACCEPTED  # and kept as accepted by this process
    client.force_login(owner)
    assert "Rotate token" in client.get(change_url(connector)).content.decode()
    confirmation = client.get(rotate_url(connector)).content.decode()
    assert "The current token stops working at once" in confirmation

    with django_capture_on_commit_callbacks(execute=True):  # as the rotation commits
        page = client.post(rotate_url(connector), follow=True).content.decode()
    new = Credentials(app_key=old.app_key, app_token=shown_token(page))
    assert new.app_token != old.app_token
    assert api_answer(client, old) == REFUSED
    assert api_answer(client, new) == ACCEPTED
    assert new.app_token not in client.get(change_url(connector)).content.decode()


def test_viewer_can_neither_rotate_the_token_nor_see_the_button(client, viewer, marketplace):
    connector, credentials = marketplace
    digest = connector.app_token_digest
    client.force_login(viewer)
    page = client.get(change_url(connector))
    assert page.status_code == 200
    assert "Rotate token" not in page.content.decode()
    assert client.get(rotate_url(connector)).status_code == 403
    assert client.post(rotate_url(connector)).status_code == 403
    connector.refresh_from_db()
    assert connector.app_token_digest == digest
    assert api_answer(client, credentials) == ACCEPTED


def test_owner_cannot_reach_another_accounts_connector(client, owner, other_account):
    connector, credentials = factories.connector(other_account, name="Globex market", affiliate_id="GLX")
    client.force_login(owner)
    opened = client.get(change_url(connector), follow=True)
    assert opened.redirect_chain == [("/admin/", 302)]  # the admin's "no such object"
    assert messages(opened) == [
        ("warning", f"Connector with ID “{connector.pk}” doesn’t exist. Perhaps it was deleted?")
    ]
    refused = client.post(rotate_url(connector))
    assert refused.status_code == 404
    assert "app token" not in refused.content.decode()
    connector.refresh_from_db()
    assert connector.app_token_digest == app_token_digest(credentials.app_token)
    assert api_answer(client, credentials) == ACCEPTED


def test_adding_a_connector_shows_its_credentials_once(client, owner, account):
    client.force_login(owner)
    page = client.post("/admin/connectors/connector/add/", add_form(account), follow=True).content.decode()
    token = shown_token(page)
    connector = Connector.objects.get(account=account, affiliate_id="NEW")
    assert connector.app_token_digest == app_token_digest(token)
    assert connector.app_key in page
    assert token not in client.get(change_url(connector)).content.decode()


def test_signing_secret_is_set_and_removed_without_ever_being_displayed(client, owner, marketplace, account):
    connector, _ = marketplace
    client.force_login(owner)
    form = add_form(account, name=connector.name, type=connector.type, affiliate_id=connector.affiliate_id)
    form["new_signing_secret"] = "brand-new-secret"
    page = client.post(change_url(connector), form, follow=True).content.decode()
    connector.refresh_from_db()
    assert connector.signing_secret == "brand-new-secret"
    assert "brand-new-secret" not in page
    assert "brand-new-secret" not in client.get(change_url(connector)).content.decode()

    client.post(change_url(connector), {**form, "new_signing_secret": "", "remove_signing_secret": "on"})
    connector.refresh_from_db()
    assert not connector.has_secret
    assert "Not set: notifications are sent unsigned." in client.get(change_url(connector)).content.decode()
