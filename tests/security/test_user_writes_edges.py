"""The rules that change users, at their edges: who a new e-mail becomes, what an existing user
keeps, what a membership gives, and what the operator's password change touches.

Each test reads what a person or the operator would see: whether a login works, the user's
and memberships' rows, the e-mail the new member receives, the error the team screen shows.
"""

import logging

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core import mail

from accounts.models import MemberNotice, Membership
from accounts.roles import Role
from accounts.selectors import user_by_email
from accounts.services import (
    TeamError,
    UserExists,
    member_add,
    membership_set,
    user_create,
    user_password_set_by_operator,
)
from tests.factories import PASSWORD, UserFactory, member

FIRST = "a-long-first-password"


def user_row(email: str) -> dict:
    return get_user_model().objects.values("username", "email", "is_staff", "is_superuser").get(email=email)


def groups_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# A new user ---------------------------------------------------------------------------------------


def test_a_new_user_signs_in_with_the_email_as_typed_in_any_case(db, caplog):
    caplog.set_level(logging.INFO, logger="accounts.services")
    user = user_create(email="  Carla@ACME.Example ", password=FIRST)
    assert user_row("carla@acme.example") == {
        "username": "carla@acme.example",
        "email": "carla@acme.example",
        "is_staff": True,
        "is_superuser": False,
    }
    assert authenticate(username="carla@acme.example", password=FIRST) == user
    assert user_by_email(email=" CARLA@acme.EXAMPLE") == user
    assert "User carla@acme.example created by the operator" in caplog.messages


def test_a_user_created_without_a_password_cannot_sign_in_until_one_is_set(db):
    user = user_create(email="carla@acme.example", password=None)
    assert not get_user_model().objects.get(pk=user.pk).has_usable_password()
    assert authenticate(username="carla@acme.example", password="") is None
    user_password_set_by_operator(user=user, password=FIRST)
    assert authenticate(username="carla@acme.example", password=FIRST) == user


def test_an_email_taken_in_another_case_is_refused_and_nothing_is_created(db, owner):
    with pytest.raises(UserExists) as refused:
        user_create(email="OWNER@acme.example", password=FIRST, actor=owner)
    assert refused.value.message == "A user with the e-mail owner@acme.example already exists."
    assert get_user_model().objects.filter(email__iexact="owner@acme.example").count() == 1
    assert authenticate(username="owner@acme.example", password=PASSWORD) == owner


def test_the_operators_password_change_writes_the_password_and_nothing_else(db, approver):
    approver.first_name = "not saved"
    user_password_set_by_operator(user=approver, password=FIRST)
    assert authenticate(username=approver.username, password=FIRST) == approver
    assert authenticate(username=approver.username, password=PASSWORD) is None
    assert get_user_model().objects.get(pk=approver.pk).first_name == ""


# Adding a member ----------------------------------------------------------------------------------


def test_a_new_email_becomes_a_user_with_the_first_password_and_is_told_who_has_it(
    owner, account, eager_tasks, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="accounts.services")
    with django_capture_on_commit_callbacks(execute=True):
        membership = member_add(
            email=" Carla@acme.example",
            account=account,
            role=Role.APPROVER,
            actor=owner,
            initial_password=FIRST,
        )
    stored = Membership.objects.get(user__email="carla@acme.example")
    assert stored == membership
    assert (stored.account, stored.role, stored.added_by) == (account, Role.APPROVER, owner)
    assert stored.notice_pending == ""  # told: the notice is taken when its e-mail goes out
    user = authenticate(username="carla@acme.example", password=FIRST)
    assert user == stored.user and groups_of(user) == {"Approver"}
    assert "User carla@acme.example created by owner@acme.example" in caplog.messages
    (message,) = mail.outbox
    assert message.to == ["carla@acme.example"]
    assert "owner@acme.example has your first password" in message.body
    assert "Nothing else about your user was changed" not in message.body


def test_the_notice_waiting_for_a_new_member_says_new_user_and_for_an_existing_one_added(
    owner, account, other_account
):
    outsider = member(other_account, Role.VIEWER, "dan@globex.example")
    created = member_add(email="eve@acme.example", account=account, role=Role.VIEWER, actor=owner)
    added = member_add(email="DAN@globex.example", account=account, role=Role.VIEWER, actor=owner)
    assert (created.notice_pending, added.notice_pending) == (MemberNotice.CREATED, MemberNotice.ADDED)
    pending = dict(Membership.objects.filter(account=account).values_list("user__email", "notice_pending"))
    assert pending == {"owner@acme.example": "", "eve@acme.example": "created", "dan@globex.example": "added"}
    assert dict(Membership.objects.filter(account=account).values_list("user__email", "added_by")) == {
        "owner@acme.example": None,
        "eve@acme.example": owner.pk,
        "dan@globex.example": owner.pk,
    }
    assert added.user == outsider and authenticate(username=outsider.username, password=PASSWORD) == outsider


def test_a_password_for_an_existing_user_is_refused_on_the_password_field_and_nothing_is_saved(
    owner, account, other_account, django_capture_on_commit_callbacks
):
    outsider = member(other_account, Role.VIEWER, "dan@globex.example")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(UserExists) as refused:
        member_add(
            email="dan@globex.example", account=account, role=Role.VIEWER, actor=owner, initial_password=FIRST
        )
    assert (refused.value.field, refused.value.message) == (
        "initial_password",
        "dan@globex.example already has a user; they keep their own password. Leave the password empty.",
    )
    assert not Membership.objects.filter(user=outsider, account=account).exists()
    assert authenticate(username=outsider.username, password=PASSWORD) == outsider
    assert mail.outbox == []


def test_an_email_already_a_member_is_refused_on_the_email_field_and_keeps_its_role(
    owner, approver, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TeamError) as refused:
        member_add(email="ANA@acme.example", account=account, role=Role.OWNER, actor=owner)
    assert (refused.value.field, refused.value.message) == (
        "email",
        "ana@acme.example is already a member of acme.",
    )
    assert Membership.objects.get(user=approver, account=account).role == Role.APPROVER
    assert groups_of(approver) == {"Approver"}
    assert mail.outbox == []


# What a membership gives ------------------------------------------------------------------------


def test_a_membership_lets_a_user_who_was_not_staff_into_the_admin(account, client):
    user = UserFactory(email="frank@acme.example", is_staff=False)
    membership_set(user=user, account=account, role=Role.VIEWER)
    assert get_user_model().objects.get(pk=user.pk).is_staff
    assert client.login(username="frank@acme.example", password=PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_a_membership_given_from_a_stale_copy_of_the_user_keeps_their_new_password(account):
    """The team screen holds the user as read before; the user changed their password meanwhile."""
    UserFactory(email="frank@acme.example", is_staff=False)
    stale = get_user_model().objects.get(username="frank@acme.example")
    user_password_set_by_operator(user=get_user_model().objects.get(pk=stale.pk), password=FIRST)
    membership_set(user=stale, account=account, role=Role.VIEWER)
    assert authenticate(username="frank@acme.example", password=FIRST) == stale
    assert get_user_model().objects.get(pk=stale.pk).is_staff


def test_a_role_given_or_changed_counts_at_once_for_the_same_user_object(account, other_account):
    user = member(other_account, Role.VIEWER, "frank@acme.example")
    # Asked before: every cache of what the user may do is filled.
    assert not user.has_perm("authorization.edit_rule", account)
    assert not user.has_perm("authorization.edit_rule")
    assert "authorization.edit_rule" not in user.get_group_permissions()
    membership_set(user=user, account=account, role=Role.OWNER)
    assert user.has_perm("authorization.edit_rule", account)
    assert user.has_perm("authorization.edit_rule")
    assert "authorization.edit_rule" in user.get_group_permissions()
    assert groups_of(user) == {"Viewer", "Owner"}
    membership_set(user=user, account=other_account, role=Role.APPROVER)
    assert groups_of(user) == {"Approver", "Owner"}
    assert dict(user.memberships.values_list("account__name", "role")) == {
        "acme": Role.OWNER,
        "globex": Role.APPROVER,
    }
