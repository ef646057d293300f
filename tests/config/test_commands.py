"""The operator commands: create_account, create_user, create_connector."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Account
from connectors.models import Connector
from connectors.services import app_token_digest
from tests.factories import PASSWORD
from tests.support.clients import token_header

RULE_URL = "/api/authorization/price-divergence-rule?an=acme"


def run(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def api_get(url, token):
    return APIClient().get(url, **token_header(token))


def test_create_account_then_a_franchise_with_its_order_prefix(db):
    assert run("create_account", "acme") == ["Created account acme, in BRL and UTC."]
    assert run("create_account", "acme-north", "--parent", "acme", "--order-prefix", "MKT") == [
        "Created account acme-north, franchise of acme, order prefix MKT, in BRL and UTC."
    ]
    franchise = Account.objects.get(name="acme-north")
    assert (franchise.parent.name, franchise.order_prefix) == ("acme", "MKT")


def test_create_account_refuses_an_unknown_parent_and_a_taken_name(account):
    with pytest.raises(CommandError, match="No account named 'nope'"):
        run("create_account", "acme-south", "--parent", "nope")
    with pytest.raises(CommandError, match="An account named 'acme' already exists"):
        run("create_account", "acme")
    with pytest.raises(CommandError, match="lower-case letters"):
        run("create_account", "Acme Store")
    assert list(Account.objects.values_list("name", flat=True)) == ["acme"]


def test_create_user_prints_a_token_on_the_last_line_that_opens_the_seller_api(account):
    lines = run("create_user", "Dana@Acme.example", "--account", "acme", "--role", "owner", "--token")
    assert lines[0] == "dana@acme.example is Owner of acme."
    response = api_get(RULE_URL, lines[-1])
    assert response.status_code == 404
    assert response.json()["message"] == "Account 'acme' has no price divergence rule."
    assert api_get(RULE_URL, "not-the-token").status_code == 401


def test_create_user_updates_the_role_and_password_and_a_new_token_replaces_the_old(account, client):
    first = run("create_user", "dana@acme.example", "--account", "acme", "--role", "viewer", "--token")[-1]
    lines = run(
        "create_user",
        "dana@acme.example",
        "--account",
        "acme",
        "--role",
        "oms-full",
        "--password",
        PASSWORD,
        "--token",
    )
    assert lines[0] == "dana@acme.example is OMS Full of acme."
    assert api_get(RULE_URL, first).status_code == 401  # the old token no longer opens it
    assert api_get(RULE_URL, lines[-1]).status_code == 404
    assert client.login(username="dana@acme.example", password=PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_create_user_without_password_says_they_cannot_log_in(account):
    lines = run("create_user", "dana@acme.example", "--account", "acme", "--role", "approver")
    assert lines == [
        "dana@acme.example is Approver of acme.",
        "No password set: pass --password to let them log in to the admin.",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "nope", "--role", "owner"], "No account named 'nope'"),
        (["--account", "acme", "--role", "boss"], "Unknown role 'boss'; use one of: owner, oms-full"),
    ],
)
def test_create_user_refuses_an_unknown_account_or_role(account, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_user", "dana@acme.example", *args)


def test_create_connector_prints_credentials_as_json_and_stores_only_the_token_digest(account):
    lines = run(
        "create_connector",
        "--account",
        "acme",
        "--name",
        "Marketplace",
        "--type",
        "native",
        "--affiliate-id",
        "MKP",
        "--endpoint",
        "https://connector.example/api/vtex",
        "--sales-channel",
        "2",
        "--legacy-rate",
        "5",
        "--keep-previous-flow",
        "--secret",
        "s3cret",
    )
    credentials = json.loads(lines[-1])
    assert set(credentials) == {"appKey", "appToken"}
    connector = Connector.objects.get(account=account, affiliate_id="MKP")
    assert connector.app_key == credentials["appKey"]
    assert connector.app_token_digest == app_token_digest(credentials["appToken"])
    assert credentials["appToken"] not in {
        field.value_from_object(connector) for field in Connector._meta.fields
    }
    assert (connector.type, connector.sales_channel, str(connector.legacy_rate_percent)) == (
        "native",
        "2",
        "5.00",
    )
    assert connector.keep_previous_flow
    assert connector.signing_secret == "s3cret"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--account": "nope"}, "No account named 'nope'"),
        ({"--type": "robot"}, "Unknown connector type 'robot'"),
        ({"--affiliate-id": "M-P"}, "--affiliate-id: Letters and digits only"),
        ({"--endpoint": "not a url"}, "--endpoint: Enter a valid URL"),
    ],
)
def test_create_connector_explains_what_is_wrong(account, overrides, message):
    options = {
        "--account": "acme",
        "--name": "Marketplace",
        "--type": "external",
        "--affiliate-id": "MKP",
        "--endpoint": "https://connector.example/api/vtex",
        **overrides,
    }
    with pytest.raises(CommandError, match=message):
        run("create_connector", *[item for pair in options.items() for item in pair])
    assert not Connector.objects.exists()
