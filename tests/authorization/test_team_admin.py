"""Accounts and team members in the admin: each user sees and manages only their accounts."""

import pytest

from authorization.models import Membership
from authorization.roles import Role
from tests.factories import PASSWORD, member


@pytest.fixture
def logged_in(client):
    def login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return login


def test_owner_sees_only_own_accounts_members(logged_in, owner, approver, other_account):
    member(other_account, Role.APPROVER, "spy@globex.example")
    page = logged_in(owner).get("/admin/authorization/membership/")
    assert page.status_code == 200
    assert b"ana@acme.example" in page.content
    assert b"spy@globex.example" not in page.content


def test_owner_cannot_open_another_accounts_membership(logged_in, owner, other_account):
    stranger = member(other_account, Role.APPROVER, "spy@globex.example")
    membership = stranger.memberships.get()
    response = logged_in(owner).get(f"/admin/authorization/membership/{membership.pk}/change/")
    assert response.status_code == 302  # the admin sends an unknown object back to the list
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_owner_adds_a_new_approver_who_can_then_log_in(logged_in, owner, account, client):
    response = logged_in(owner).post(
        "/admin/authorization/membership/add/",
        {
            "email": "carla@acme.example",
            "initial_password": "a-long-first-password",
            "account": account.pk,
            "role": "approver",
        },
    )
    assert response.status_code == 302, response.content
    membership = Membership.objects.get(user__email="carla@acme.example")
    assert membership.role == Role.APPROVER
    client.logout()
    assert client.login(username="carla@acme.example", password="a-long-first-password")
    assert client.get("/admin/").status_code == 200


def test_oms_full_cannot_grant_the_owner_role(logged_in, oms_full, account):
    response = logged_in(oms_full).post(
        "/admin/authorization/membership/add/",
        {"email": "eve@acme.example", "account": account.pk, "role": "owner"},
    )
    assert response.status_code == 200
    assert b"Only an Owner of the account may grant or take the Owner role." in response.content
    assert not Membership.objects.filter(user__email="eve@acme.example").exists()


def test_owner_cannot_add_members_to_another_account(logged_in, owner, other_account):
    response = logged_in(owner).post(
        "/admin/authorization/membership/add/",
        {"email": "eve@acme.example", "account": other_account.pk, "role": "viewer"},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Membership.objects.filter(account=other_account).exists()


def test_viewer_sees_members_but_cannot_add_or_change(logged_in, viewer, approver):
    client = logged_in(viewer)
    assert client.get("/admin/authorization/membership/").status_code == 200
    assert client.get("/admin/authorization/membership/add/").status_code == 403
    membership = approver.memberships.get()
    client.post(f"/admin/authorization/membership/{membership.pk}/change/", {"role": "owner"})
    membership.refresh_from_db()
    assert membership.role == Role.APPROVER


def test_changing_a_role_changes_what_the_user_may_do(logged_in, owner, approver, account):
    assert not approver.has_perm("authorization.edit_rule", account)
    membership = approver.memberships.get()
    response = logged_in(owner).post(
        f"/admin/authorization/membership/{membership.pk}/change/",
        {"account": account.pk, "role": "oms-full"},
    )
    assert response.status_code == 302
    approver = type(approver).objects.get(pk=approver.pk)
    assert approver.has_perm("authorization.edit_rule", account)
    assert list(approver.groups.values_list("name", flat=True)) == ["OMS Full"]


def test_owner_changes_account_settings_but_not_its_name(logged_in, owner, account):
    response = logged_in(owner).post(
        f"/admin/authorization/account/{account.pk}/change/",
        {
            "no_rule_policy": "authorize",
            "overpayment_is_divergence": "",
            "time_zone": "America/Sao_Paulo",
            "name": "renamed",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.no_rule_policy, account.overpayment_is_divergence) == (
        "acme",
        "authorize",
        False,
    )


def test_roles_hold_per_account(owner, account, other_account):
    member(other_account, Role.VIEWER, owner.email)
    owner = type(owner).objects.get(pk=owner.pk)
    assert owner.has_perm("catalog.change_sku", account)
    assert not owner.has_perm("catalog.change_sku", other_account)
    assert owner.has_perm("catalog.view_sku", other_account)


def test_role_groups_exist_with_their_permissions(db):
    from django.contrib.auth.models import Group

    groups = {
        group.name: set(group.permissions.values_list("codename", flat=True)) for group in Group.objects.all()
    }
    assert {"Owner", "OMS Full", "Approver", "Viewer"} <= set(groups)
    assert "edit_rule" in groups["Owner"] and "edit_rule" in groups["OMS Full"]
    assert "edit_rule" not in groups["Approver"] and "change_sku" not in groups["Viewer"]
    assert "view_sku" in groups["Viewer"]
