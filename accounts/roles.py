"""Roles and what each may do: the one table the groups and the permission backend read.

A role is held per account (a `Membership`). The Django group of the same name carries the
model permissions, so the admin shows each user the modules their roles may use; whether a
user may act on one object is then decided by the role they hold in that object's account
(`accounts.backends.AccountRoleBackend`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    OMS_FULL = "oms-full", _("OMS Full")
    APPROVER = "approver", _("Approver")
    VIEWER = "viewer", _("Viewer")


# The Django group of each role, by a name that stays the same whatever language is active
# (the labels above are translated; the groups were created with these names).
GROUPS = {Role.OWNER: "Owner", Role.OMS_FULL: "OMS Full", Role.APPROVER: "Approver", Role.VIEWER: "Viewer"}


# Models whose rows belong to an account, as "app_label.model".
ACCOUNT_MODELS = (
    "accounts.account",
    "accounts.membership",
    "accounts.absence",
    "authorization.pricedivergencerule",
    "authorization.authorizationband",
    "authorization.rulerevision",
    "catalog.sku",
    "catalog.warehouse",
    "catalog.stock",
    "catalog.shippingpolicy",
    "catalog.pickuppoint",
    "connectors.connector",
    "connectors.notification",
    "connectors.feedconfig",
    "connectors.hookconfig",
    "connectors.hookdelivery",
    "orders.order",
    "orders.intakerecord",
    "orders.orderevent",
    "authorization.approvaltask",
    "insight.decisionrecord",
)

# What the managing roles may change; everything else they, like everyone, only view.
MANAGED_MODELS = (
    "accounts.membership",
    "authorization.pricedivergencerule",
    "authorization.authorizationband",
    "catalog.sku",
    "catalog.warehouse",
    "catalog.stock",
    "catalog.shippingpolicy",
    "catalog.pickuppoint",
    "connectors.connector",
)


def _model_perms(model_labels, actions):
    perms = set()
    for label in model_labels:
        app_label, model_name = label.split(".")
        perms.update(f"{app_label}.{action}_{model_name}" for action in actions)
    return perms


_VIEW_ALL = _model_perms(ACCOUNT_MODELS, ("view",))
_MANAGE = _model_perms(MANAGED_MODELS, ("add", "change", "delete"))

# The account's own settings (no-rule policy, overpayment, time zone); adding accounts is the operator's.
_ACCOUNT_SETTINGS = {"accounts.change_account"}

# Custom permissions declared in models' Meta.permissions.
EDIT_RULE = "authorization.edit_rule"
MANAGE_CONNECTORS = "connectors.manage_connectors"
REPROCESS_INTAKE = "orders.reprocess_intake"
DECIDE_ORDER = "orders.decide_order"
HANDLE_ORDERS = "orders.handle_order"
# Setting and ending absences: each deciding member their own (`Absence.permits`), the Owner anyone's.
SET_ABSENCE = "accounts.change_absence"
MANAGE_ABSENCES = "accounts.manage_absences"
ABSENCE_WRITES = frozenset({"accounts.add_absence", SET_ABSENCE, "accounts.delete_absence"})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        _VIEW_ALL
        | _MANAGE
        | _ACCOUNT_SETTINGS
        | ABSENCE_WRITES
        | {EDIT_RULE, MANAGE_CONNECTORS, REPROCESS_INTAKE, DECIDE_ORDER, HANDLE_ORDERS, MANAGE_ABSENCES}
    ),
    Role.OMS_FULL: frozenset(
        _VIEW_ALL
        | _MANAGE
        | _ACCOUNT_SETTINGS
        | ABSENCE_WRITES
        | {EDIT_RULE, MANAGE_CONNECTORS, REPROCESS_INTAKE, DECIDE_ORDER, HANDLE_ORDERS}
    ),
    Role.APPROVER: frozenset(_VIEW_ALL | ABSENCE_WRITES | {DECIDE_ORDER}),
    Role.VIEWER: frozenset(_VIEW_ALL),
}

# Roles that may stand on a manual band's approver list.
DECIDING_ROLES = frozenset({Role.OWNER, Role.OMS_FULL, Role.APPROVER})


def sync_role_groups(sender=None, using="default", apps=None, **kwargs):
    """Give each role's group exactly the permissions of `ROLE_PERMISSIONS`.

    Runs after every `migrate`, once the permissions of every model exist; the groups
    themselves were created by a data migration (`authorization.0002_role_groups`).
    """
    from django.contrib.auth.models import Group, Permission

    if apps is not None and not apps.is_installed("accounts"):
        return

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=GROUPS[role])
        wanted = []
        for perm in sorted(perms):
            app_label, codename = perm.split(".")
            found = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)
