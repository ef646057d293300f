"""The role groups carry exactly the permissions of `ROLE_PERMISSIONS` after every migrate or flush."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.roles import GROUPS, ROLE_PERMISSIONS


def held_by_groups() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
        }
        for group in Group.objects.all()
    }


def wanted() -> dict[str, set[str]]:
    return {GROUPS[role]: set(perms) for role, perms in ROLE_PERMISSIONS.items()}


def test_after_migrate_each_role_group_holds_exactly_its_permissions(db):
    assert held_by_groups() == wanted()


@pytest.mark.django_db(transaction=True)
def test_a_flush_rebuilds_the_groups_once_every_app_has_its_permissions():
    Group.objects.all().delete()
    call_command("flush", interactive=False, verbosity=0)
    assert held_by_groups() == wanted()
