"""The one permission rule: what a user may do to an object follows from their role in its account.

Django's `ModelBackend` answers the model-level question (through the role groups), so the
admin shows each user the modules their roles allow. This backend answers the object-level
one for the admin, the API and e-mail links alike: `user.has_perm(perm, obj)`.
"""

from collections.abc import Callable

from django.contrib.auth.backends import BaseBackend

from .models import Membership
from .roles import ROLE_PERMISSIONS

_MISSING = object()


def kept_on_user[T](user, name: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept on the user object under `name` for the rest of the request.

    Kept through the object, never in its `__dict__`: `request.user` is a lazy wrapper, and what
    is kept on the wrapper alone is not seen through the user the permission backend is handed
    (the same question would be asked of the database twice a page).
    """
    kept = getattr(user, name, _MISSING)
    if kept is _MISSING:
        kept = compute()
        setattr(user, name, kept)
    return kept


def account_roles(user) -> dict[int, str]:
    """Return {account id: role} for the user, kept on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return kept_on_user(
        user,
        "_account_roles",
        lambda: dict(Membership.objects.filter(user=user).values_list("account_id", "role")),
    )


class AccountRoleBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not user_obj.is_active:
            return False
        account_id = getattr(obj, "account_id", None)
        if account_id is None:
            return False
        role = account_roles(user_obj).get(account_id)
        if role is None:
            return False
        object_rule = getattr(obj, "permits", None)
        if object_rule is not None and not object_rule(user_obj, perm):
            return False
        return perm in ROLE_PERMISSIONS[role]
