"""Admin lists and forms never show another account's rows, names or choices."""

import pytest

from accounts.roles import Role
from tests.factories import PASSWORD, connector, member


@pytest.fixture
def two_accounts(account, other_account):
    connector(account, name="Acme Mall", affiliate_id="ACM")
    connector(other_account, name="Globex Mall", affiliate_id="GLX")
    return account, other_account


def test_the_account_filter_lists_only_the_users_accounts(client, two_accounts, db):
    from tests.factories import AccountFactory

    acme, _ = two_accounts
    second = AccountFactory(name="acme-outlet")
    user = member(acme, Role.OWNER, "multi@acme.example")
    member(second, Role.VIEWER, "multi@acme.example")
    client.login(username=user.username, password=PASSWORD)
    page = client.get("/admin/connectors/connector/").content.decode()
    assert "acme-outlet" in page
    assert "globex" not in page
    assert "Globex Mall" not in page


def test_forms_offer_only_accounts_the_user_may_change(client, two_accounts):
    from tests.factories import AccountFactory

    acme, _ = two_accounts
    outlet = AccountFactory(name="acme-outlet")
    user = member(acme, Role.OWNER, "multi@acme.example")
    member(outlet, Role.VIEWER, "multi@acme.example")
    client.login(username=user.username, password=PASSWORD)
    page = client.get("/admin/catalog/warehouse/add/").content.decode()
    assert f'<option value="{acme.pk}"' in page
    assert f'<option value="{outlet.pk}"' not in page
