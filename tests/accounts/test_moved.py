"""Accounts and memberships moved from the authorization app to accounts: old admin addresses still lead there."""

from accounts.models import Account, Membership


def test_an_old_account_or_team_address_redirects_to_the_new_one_with_its_query(owner_client, account, owner):
    membership = Membership.objects.get(user=owner)
    for old, new in [
        (
            f"/admin/authorization/account/{account.pk}/change/",
            f"/admin/accounts/account/{account.pk}/change/",
        ),
        ("/admin/authorization/membership/?role=owner", "/admin/accounts/membership/?role=owner"),
        (
            f"/admin/authorization/membership/{membership.pk}/change/",
            f"/admin/accounts/membership/{membership.pk}/change/",
        ),
    ]:
        response = owner_client.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
        assert owner_client.get(new).status_code == 200


def test_the_rule_keeps_its_address(owner_client, account):
    response = owner_client.get("/admin/authorization/pricedivergencerule/")
    assert response.status_code in (200, 302)
    assert "/admin/accounts/" not in response.get("Location", "")


def test_the_moved_models_keep_their_tables_and_their_permissions_are_the_accounts_apps(owner, account):
    assert (Account._meta.db_table, Membership._meta.db_table) == (
        "authorization_account",
        "authorization_membership",
    )
    assert owner.has_perm("accounts.change_account", account)
    assert owner.has_perm("accounts.add_membership", account)
    assert not owner.has_perm("authorization.change_account", account)
