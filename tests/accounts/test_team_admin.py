"""Accounts and team members in the admin: each user sees and manages only their accounts."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts.models import Membership
from accounts.roles import Role
from tests.factories import member
from tests.support.clients import client_for
from tests.support.observe import observed
from tests.support.on_commit import lose_queued
from tests.support.pages import messages


def test_owner_sees_only_own_accounts_members(owner, approver, other_account):
    member(other_account, Role.APPROVER, "spy@globex.example")
    page = client_for(owner).get("/admin/accounts/membership/")
    assert page.status_code == 200
    assert b"ana@acme.example" in page.content
    assert b"spy@globex.example" not in page.content


def test_owner_can_neither_open_nor_change_nor_delete_another_accounts_membership(
    owner, approver, other_account
):
    stranger = member(other_account, Role.APPROVER, "spy@globex.example")
    theirs = stranger.memberships.get()
    client = client_for(owner)
    before = observed(other_account)
    not_found = [("warning", f"Team member with ID “{theirs.pk}” doesn’t exist. Perhaps it was deleted?")]
    for action, form in [
        ("change", {"account": theirs.account_id, "role": "owner"}),
        ("delete", {"post": "yes"}),
    ]:
        url = f"/admin/accounts/membership/{theirs.pk}/{action}/"
        assert messages(client.get(url, follow=True)) == not_found
        assert messages(client.post(url, form, follow=True)) == not_found
    assert observed(other_account) == before
    assert list(stranger.groups.values_list("name", flat=True)) == ["Approver"]
    # The same change of a member of the Owner's own account is made: the refusal was the account's.
    mine = approver.memberships.get()
    client.post(
        f"/admin/accounts/membership/{mine.pk}/change/", {"account": mine.account_id, "role": "owner"}
    )
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


ADD = "/admin/accounts/membership/add/"


def test_owner_adds_a_new_approver_who_can_then_log_in(
    owner, account, eager_tasks, django_capture_on_commit_callbacks
):
    form = {"email": "Carla@acme.example", "account": account.pk, "role": "approver"}
    client = client_for(owner)
    assert b'name="initial_password"' not in client.get(ADD).content  # e-mail first
    asked = client.post(ADD, form)
    assert asked.status_code == 200
    assert b'name="initial_password"' in asked.content
    assert b"No user has the e-mail carla@acme.example yet." in asked.content
    assert not Membership.objects.filter(user__email="carla@acme.example").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, form | {"initial_password": "a-long-first-password"})
    assert response.status_code == 302, response.content
    membership = Membership.objects.get(user__email="carla@acme.example")
    assert (membership.role, membership.added_by) == (Role.APPROVER, owner)
    (message,) = mail.outbox
    assert message.to == ["carla@acme.example"]
    assert "owner@acme.example added you to the seller account acme as Approver." in message.body
    assert "owner@acme.example has your first password" in message.body
    assert "a-long-first-password" not in message.body
    client.logout()
    assert client.login(username="carla@acme.example", password="a-long-first-password")
    assert client.get("/admin/").status_code == 200


def test_a_new_users_first_password_must_pass_the_password_rules(owner, account):
    response = client_for(owner).post(
        ADD,
        {
            "email": "carla@acme.example",
            "initial_password": "12345678",
            "account": account.pk,
            "role": "viewer",
        },
    )
    assert response.status_code == 200
    assert b"This password is too common." in response.content
    assert not get_user_model().objects.filter(username="carla@acme.example").exists()


def test_adding_an_existing_user_changes_nothing_about_them_and_tells_them_who(
    owner, account, other_account, eager_tasks, django_capture_on_commit_callbacks
):
    """A person already on the site is added as they are: no password is asked, none is set."""
    outsider = member(other_account, Role.APPROVER, "dan@globex.example")
    before = get_user_model().objects.values().get(pk=outsider.pk)
    client = client_for(owner)
    form = {"email": "DAN@globex.example", "account": account.pk, "role": "viewer"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, form)
    assert response.status_code == 302, response.content
    assert get_user_model().objects.values().get(pk=outsider.pk) == before
    assert dict(outsider.memberships.values_list("account__name", "role")) == {
        "globex": Role.APPROVER,
        "acme": Role.VIEWER,
    }
    assert set(outsider.groups.values_list("name", flat=True)) == {"Approver", "Viewer"}
    (message,) = mail.outbox
    assert message.to == ["dan@globex.example"]
    assert message.subject == "You were added to acme"
    assert "owner@acme.example added you to the seller account acme as Viewer." in message.body
    assert "first password" not in message.body
    assert "Nothing else about your user was changed" in message.body


def test_a_password_given_for_an_existing_user_is_refused_and_nothing_is_saved(
    owner, account, approver, other_account, django_capture_on_commit_callbacks
):
    outsider = member(other_account, Role.OWNER, "dan@globex.example")
    before = get_user_model().objects.values().get(pk=outsider.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(
            ADD,
            {
                "email": "dan@globex.example",
                "initial_password": "chosen-by-the-owner-of-acme",
                "account": account.pk,
                "role": "viewer",
            },
        )
    assert response.status_code == 200
    assert b"dan@globex.example already has a user; they keep their own password." in response.content
    assert get_user_model().objects.values().get(pk=outsider.pk) == before
    assert not outsider.memberships.filter(account=account).exists()
    assert mail.outbox == []


def test_a_member_added_while_the_broker_was_down_is_told_by_the_sweep(
    owner, account, other_account, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.notices import member_notices_due
    from accounts.services import member_add
    from accounts.tasks import notify_member_added

    outsider = member(other_account, Role.VIEWER, "dan@globex.example")
    membership = member_add(email=outsider.email, account=account, role=Role.VIEWER, actor=owner)
    assert lose_queued() == 1  # the broker was down: the e-mail's task never reaches a worker
    later = timezone.now() + timedelta(minutes=2)
    assert member_notices_due(now=later) == [membership.pk]  # its task never ran
    assert notify_member_added(membership.pk) is True
    assert notify_member_added(membership.pk) is False  # once only
    assert member_notices_due(now=later) == []
    assert [message.to for message in mail.outbox] == [["dan@globex.example"]]


def test_oms_full_cannot_grant_the_owner_role(oms_full, account):
    response = client_for(oms_full).post(
        "/admin/accounts/membership/add/",
        {"email": "eve@acme.example", "account": account.pk, "role": "owner"},
    )
    assert response.status_code == 200
    assert b"Only an Owner of the account may grant or take the Owner role." in response.content
    assert not Membership.objects.filter(user__email="eve@acme.example").exists()


def test_owner_cannot_add_members_to_another_account(owner, other_account):
    response = client_for(owner).post(
        "/admin/accounts/membership/add/",
        {"email": "eve@acme.example", "account": other_account.pk, "role": "viewer"},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Membership.objects.filter(account=other_account).exists()


@pytest.mark.parametrize("who", ["viewer", "approver"])
def test_viewer_and_approver_see_a_member_read_only_but_cannot_add_or_change(
    request, who, second_approver, account
):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/admin/accounts/membership/").status_code == 200
    assert client.get(ADD).status_code == 403
    membership = second_approver.memberships.get()
    change = f"/admin/accounts/membership/{membership.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200
    assert b"bo@acme.example" in page.content
    assert b'name="role"' not in page.content and b'name="initial_password"' not in page.content
    refused = client.post(change, {"account": account.pk, "role": "owner"})
    assert refused.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.APPROVER


def test_changing_a_role_changes_what_the_user_may_do(owner, approver, account):
    assert not approver.has_perm("authorization.edit_rule", account)
    membership = approver.memberships.get()
    response = client_for(owner).post(
        f"/admin/accounts/membership/{membership.pk}/change/",
        {"account": account.pk, "role": "oms-full"},
    )
    assert response.status_code == 302
    approver = type(approver).objects.get(pk=approver.pk)
    assert approver.has_perm("authorization.edit_rule", account)
    assert list(approver.groups.values_list("name", flat=True)) == ["OMS Full"]


def test_owner_changes_account_settings_but_not_its_name(owner, account):
    response = client_for(owner).post(
        f"/admin/accounts/account/{account.pk}/change/",
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
