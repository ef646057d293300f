"""Secrets are stored as digests or encrypted: no row of any table holds one in clear.

Connector app tokens (from the admin, rotated, from the service), users' API tokens, signing
secrets, a hook's credential header and passwords are each used for real, then looked for in
every column of every table, sessions decoded too.
"""

import json

from django.contrib.sessions.models import Session
from django.db import connection

from accounts.services import token_issue
from connectors.models import Connector
from connectors.services import Credentials
from tests.factories import PASSWORD, connector
from tests.orders.payloads import order_body
from tests.support.clients import connector_headers, token_header
from tests.support.connector_admin import shown_token

SIGNING_SECRET = "admin-typed-signing-secret-4f1c"
SERVICE_SECRET = "service-signing-secret-9a2e"
HOOK_CREDENTIAL = "Bearer hook-credential-77d3"


def everything_stored() -> str:
    """Every value of every row of every table, as text, with the sessions' data decoded."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    values.append(
                        bytes(value).decode("latin-1")
                        if isinstance(value, bytes | memoryview)
                        else str(value)
                    )
    values += [json.dumps(session.get_decoded()) for session in Session.objects.all()]
    return "\n".join(values)


def test_no_table_holds_a_token_a_secret_or_a_password_in_clear(
    client, owner, account, mkp, shop, connector_server, settings
):
    client.force_login(owner)
    form = {
        "account": account.pk,
        "name": "Typed in",
        "type": "certified",
        "affiliate_id": "TYP",
        "endpoint": connector_server.url,
        "sales_channel": "1",
        "active": "on",
        "new_signing_secret": SIGNING_SECRET,
        "legacy_rate_percent": "",
    }
    created_token = shown_token(
        client.post("/admin/connectors/connector/add/", form, follow=True).content.decode()
    )
    typed = Connector.objects.get(affiliate_id="TYP")
    rotated_token = shown_token(
        client.post(f"/admin/connectors/connector/{typed.pk}/rotate-token/", follow=True).content.decode()
    )
    _, service_credentials = connector(account, name="Service", affiliate_id="SRV", secret=SERVICE_SECRET)
    api_token = token_issue(user=owner)
    secrets = {
        "the first app token": created_token,
        "the rotated app token": rotated_token,
        "a service-made app token": service_credentials.app_token,
        "the example shop's app token": shop.credentials.app_token,
        "a user's API token": api_token,
        "a signing secret typed in the admin": SIGNING_SECRET,
        "a signing secret given to the service": SERVICE_SECRET,
        "a hook's credential header": HOOK_CREDENTIAL,
        "the users' password": PASSWORD,
    }

    # Use each of them, so that whatever they leave behind is in the database.
    assert client.get("/api/orders?an=acme", **token_header(api_token)).status_code == 200
    rotated = connector_headers(Credentials(typed.app_key, rotated_token))
    hook = {"hook": {"url": connector_server.url + "/hook", "headers": {"Authorization": HOOK_CREDENTIAL}}}
    with mkp.capture(execute=True):
        configured = client.post(
            "/api/orders/hook/config", data=hook, content_type="application/json", **rotated
        )
    assert configured.status_code == 200
    from connectors.services import connector_set_secret

    connector_set_secret(connector=shop.connector, secret=SIGNING_SECRET)
    mkp.place(order_body())
    connector_server.wait_for(2)  # the hook's ping, then the notification
    client.get(f"/admin/connectors/connector/{typed.pk}/history/")
    client.logout()
    client.post("/admin/login/", {"username": owner.username, "password": PASSWORD})

    stored = everything_stored()
    assert [name for name, secret in secrets.items() if secret in stored] == []


def test_the_history_of_a_connector_shows_no_credential(client, owner, account):
    typed, credentials = connector(account, secret=SIGNING_SECRET)
    client.force_login(owner)
    client.post(f"/admin/connectors/connector/{typed.pk}/rotate-token/")
    typed.refresh_from_db()
    history = client.get(f"/admin/connectors/connector/{typed.pk}/history/").content.decode()
    for secret in (credentials.app_token, typed.app_token_digest, typed.secret_encrypted, SIGNING_SECRET):
        assert secret not in history
