"""A user is changed only by that user or a site superuser: no role of any account writes another's user.

Managing a team changes memberships, and with them only what follows from memberships (the
role groups; `is_staff`). Everything else of a user — password, e-mail, names, active and
superuser flags, permissions, API token, last login — is theirs.

The paths are not listed by hand: every URL the resolver knows (the admin's index, login and
password pages, every registered model's views and actions, every API) is asked, GET and POST
(and PUT, PATCH, DELETE for the APIs), aimed at the target user and the rows that point at
them, with a body that tries to set everything of a user; by each role of another account and
of the target's own. A view added later is asked too. What calls the functions that write users
is checked in the source, so a new caller (a command, a task, a view) has to be looked at.
"""

import ast
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db.models import ForeignKey
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.generic import RedirectView

from accounts.models import ApiToken, Membership, Preferences
from accounts.roles import GROUPS, ROLE_PERMISSIONS, Role
from accounts.services import membership_set, token_issue
from tests.factories import PASSWORD, member
from tests.support.clients import token_header

CHOSEN = "chosen-by-the-attacker-77"
EVIL = "mallory@evil.example"
TARGET = "ana@acme.example"
ROLES = [Role.OWNER, Role.OMS_FULL, Role.APPROVER, Role.VIEWER]


# The user as only they (or a superuser) may change it.
def user_row(user) -> dict:
    user = get_user_model().objects.get(pk=user.pk)
    row = {
        name: getattr(user, name)
        for name in (
            "username",
            "password",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "last_login",
            "date_joined",
        )
    }
    row["user_permissions"] = sorted(user.user_permissions.values_list("pk", flat=True))
    row["api_token"] = ApiToken.objects.filter(user=user).values_list("key_digest", flat=True).first()
    row["language"] = (
        Preferences.objects.filter(user=user).values_list("language", "browser_language").first()
    )
    return row


def roles_of(user) -> dict:
    return dict(Membership.objects.filter(user=user).values_list("account__name", "role"))


def assert_groups_follow_memberships(user) -> None:
    """The one thing of a user a team changes: the groups, exactly those of the roles held anywhere."""
    held = {GROUPS[role] for role in roles_of(user).values()}
    assert set(user.groups.values_list("name", flat=True)) == held


def assert_untouched(target, before: dict) -> None:
    assert user_row(target) == before
    assert authenticate(username=target.username, password=CHOSEN) is None
    assert not Client().login(username=target.username, password=CHOSEN)
    assert authenticate(username=target.username, password=PASSWORD) is not None
    assert_groups_follow_memberships(target)


@dataclass
class Scene:
    acme: object
    globex: object
    target: object
    people: dict  # ("acme" | "globex", role) -> user


@pytest.fixture
def scene(account, other_account, owner, oms_full, approver, viewer, second_approver):
    """acme's approver ana (the target: a token, signed in before, a name) and every role of both accounts."""
    people = {
        ("acme", Role.OWNER): owner,
        ("acme", Role.OMS_FULL): oms_full,
        ("acme", Role.APPROVER): second_approver,
        ("acme", Role.VIEWER): viewer,
    }
    for role in ROLES:
        people[("globex", role)] = member(other_account, role, f"{role}@globex.example")
    approver.first_name, approver.last_name = "Ana", "Silva"
    approver.save(update_fields=["first_name", "last_name"])
    Client().login(username=TARGET, password=PASSWORD)  # a last_login to keep
    token_issue(user=approver)
    return Scene(account, other_account, get_user_model().objects.get(pk=approver.pk), people)


# Finding 1, exactly -------------------------------------------------------------------------------


@pytest.mark.parametrize("target_role", [Role.APPROVER, Role.OWNER])
@pytest.mark.parametrize("role", [Role.OWNER, Role.OMS_FULL])
def test_adding_another_accounts_user_with_a_password_is_refused_and_sets_nothing(
    client, scene, role, target_role, django_capture_on_commit_callbacks
):
    """The reproduction: globex's Owner or OMS Full "adds" acme's approver (or Owner) with a password."""
    target = scene.target if target_role == Role.APPROVER else scene.people[("acme", Role.OWNER)]
    before = user_row(target)
    client.force_login(scene.people[("globex", role)])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/membership/add/",
            {"email": target.email, "initial_password": CHOSEN, "account": scene.globex.pk, "role": "viewer"},
        )
    assert response.status_code == 200
    assert f"{target.email} already has a user; they keep their own password.".encode() in response.content
    assert_untouched(target, before)
    assert roles_of(target) == {"acme": target_role}
    assert mail.outbox == []


@pytest.mark.parametrize("role", [Role.OWNER, Role.OMS_FULL])
def test_adding_another_accounts_user_adds_them_as_they_are_and_tells_them_who(
    client, scene, role, eager_tasks, django_capture_on_commit_callbacks
):
    before = user_row(scene.target)
    adder = scene.people[("globex", role)]
    client.force_login(adder)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/membership/add/",
            {"email": TARGET, "account": scene.globex.pk, "role": "viewer"},
        )
    assert response.status_code == 302
    assert_untouched(scene.target, before)
    assert roles_of(scene.target) == {"acme": Role.APPROVER, "globex": Role.VIEWER}
    (message,) = mail.outbox
    assert message.to == [TARGET]
    assert f"{adder.email} added you to the seller account globex as Viewer." in message.body
    # The role in globex opens nothing more of acme: ana still may not edit acme's rule.
    assert (
        not get_user_model().objects.get(pk=scene.target.pk).has_perm("authorization.edit_rule", scene.acme)
    )


def test_removing_or_changing_a_role_in_one_account_leaves_the_other_as_it_was(client, scene):
    globex_owner = scene.people[("globex", Role.OWNER)]
    membership = membership_set(user=scene.target, account=scene.globex, role=Role.OMS_FULL)
    before = user_row(scene.target)
    client.force_login(globex_owner)
    change = f"/admin/accounts/membership/{membership.pk}/change/"
    assert client.post(change, {"account": scene.globex.pk, "role": "viewer"}).status_code == 302
    target = get_user_model().objects.get(pk=scene.target.pk)
    assert roles_of(target) == {"acme": Role.APPROVER, "globex": Role.VIEWER}
    assert_groups_follow_memberships(target)
    assert (
        client.post(f"/admin/accounts/membership/{membership.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert roles_of(target) == {"acme": Role.APPROVER}
    assert set(target.groups.values_list("name", flat=True)) == {"Approver"}
    assert_untouched(target, before)


# Every path ----------------------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str | None
    callback: object
    parameters: tuple[str, ...]
    positional: int  # groups without a name (a re_path's), reversed with args


def endpoints(resolver=None, namespaces=(), parameters=(), positional=0) -> list[Endpoint]:
    """Every URL pattern of the project, with its namespaced name and the parameters of its path."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        regex = pattern.pattern.regex
        names = tuple(pattern.pattern.converters) or tuple(regex.groupindex)
        unnamed = 0 if pattern.pattern.converters else regex.groups - len(regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            found += endpoints(pattern, inner, parameters + names, positional + unnamed)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespaces, pattern.name)) if pattern.name else None
            found.append(Endpoint(name, pattern.callback, parameters + names, positional + unnamed))
    return found


def test_every_url_has_a_name_so_that_the_matrix_below_asks_it():
    """Unnamed URLs cannot be reversed, so the matrix would miss them: only redirects may go unnamed."""
    unnamed = [endpoint.callback for endpoint in endpoints() if endpoint.name is None]
    assert unnamed
    assert all(
        getattr(callback, "view_class", None) is RedirectView or callback.__name__ == "catch_all_view"
        for callback in unnamed
    ), [callback.__qualname__ for callback in unnamed]


def aimed_rows(model, target) -> list:
    """The target user, or the rows of `model` that point at them (their memberships, exports ...)."""
    if model is None:
        return [target.pk]
    if model is get_user_model():
        return [target.pk]
    to_user = [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, ForeignKey) and field.related_model is get_user_model()
    ]
    for name in to_user:
        rows = list(model._default_manager.filter(**{name: target}).values_list("pk", flat=True)[:2])
        if rows:
            return rows
    first = (
        model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if model._meta.managed
        else None
    )
    return [first if first is not None else target.pk]


def arguments(endpoint: Endpoint, scene, row) -> dict:
    values = {
        "object_id": row,
        "id": row,
        "pk": row,
        "user_id": scene.target.pk,
        "account_id": scene.acme.pk,
        "app_label": "auth",
        "content_type_id": ContentType.objects.get_for_model(get_user_model()).pk,
    }
    return {name: str(values.get(name, scene.target.pk)) for name in endpoint.parameters}


def hostile_body(scene, attacker_account) -> dict:
    """What a form or an API that writes users would take, set to take the target over."""
    return {
        "email": TARGET,
        "username": TARGET,
        "new_email": EVIL,
        "initial_password": CHOSEN,
        "password": CHOSEN,
        "password1": CHOSEN,
        "password2": CHOSEN,
        "new_password1": CHOSEN,
        "new_password2": CHOSEN,
        "usable_password": "true",
        "first_name": "Mallory",
        "last_name": "Mallory",
        "is_active": "",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(pk) for pk in Group.objects.values_list("pk", flat=True)],
        "user_permissions": [str(Permission.objects.get(codename="change_user").pk)],
        "date_joined_0": "2000-01-01",
        "date_joined_1": "00:00:00",
        "last_login_0": "2000-01-01",
        "last_login_1": "00:00:00",
        "language": "xx",
        "account": str(attacker_account.pk),
        "role": Role.VIEWER,
        "user": str(scene.target.pk),
        "key": "chosen-token",
        "token": "chosen-token",
        "post": "yes",
        "_save": "Save",
    }


def model_admin_of(endpoint: Endpoint):
    """The ModelAdmin a URL of the admin belongs to, also for the extra views it adds."""
    found = getattr(endpoint.callback, "model_admin", None)
    if found is not None:
        return found
    for model, model_admin in admin.site._registry.items():
        if endpoint.name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model_admin
    return None


def ask_everything(client, scene, attacker_account, headers) -> list[tuple[str, str, int]]:
    """Every URL of the project, aimed at the target; return (method, url, status) of each request."""
    body = hostile_body(scene, attacker_account)
    asked = []
    user = client.session.get("_auth_user_id")

    def ask(method, url, data=None):
        if url.startswith("/api/") and method != "get":  # the APIs take JSON only
            response = getattr(client, method)(
                url, json.dumps(data), content_type="application/json", **headers
            )
        else:
            response = getattr(client, method)(url, data or {}, **headers)
        asked.append((method, url, response.status_code))
        if client.session.get("_auth_user_id") != user:  # logged out (or in as someone else): log back in
            client.force_login(get_user_model().objects.get(pk=user))

    for endpoint in endpoints():
        if endpoint.name is None:
            continue
        model_admin = model_admin_of(endpoint)
        for row in aimed_rows(model_admin.model if model_admin else None, scene.target):
            if endpoint.positional:
                url = reverse(endpoint.name, args=[row] * endpoint.positional)
            else:
                url = reverse(endpoint.name, kwargs=arguments(endpoint, scene, row))
            ask("get", url)
            ask("post", url, body)
            if url.startswith("/api/"):
                for method in ("put", "patch", "delete"):
                    ask(method, url, body)
            if model_admin is not None and endpoint.name.endswith("_changelist"):
                for action in [*model_admin.actions, "delete_selected"]:
                    ask("post", url, body | {"action": action, "_selected_action": [str(row)], "index": "0"})
    return asked


# Every role of another account; of ana's own, the roles that manage its team (an approver or a
# viewer of acme changes nothing at all: tests/security/test_admin_changes.py).
ATTACKERS = [("globex", role) for role in ROLES] + [("acme", Role.OWNER), ("acme", Role.OMS_FULL)]


@pytest.mark.parametrize(("account_name", "role"), ATTACKERS, ids=[f"{a}-{r}" for a, r in ATTACKERS])
def test_no_role_of_any_account_changes_another_users_user_through_any_url(client, scene, account_name, role):
    attacker = scene.people[(account_name, role)]
    attacker_account = scene.acme if account_name == "acme" else scene.globex
    headers = token_header(token_issue(user=attacker))
    before = user_row(scene.target)
    target_roles = roles_of(scene.target)
    client.raise_request_exception = False
    client.force_login(attacker)

    asked = ask_everything(client, scene, attacker_account, headers)

    assert_untouched(scene.target, before)
    if account_name == "globex":
        # Another account may add ana to its own team (as she is), never touch her role in acme.
        assert {
            name: role for name, role in roles_of(scene.target).items() if name != "globex"
        } == target_roles
    user_pages = [entry for entry in asked if entry[1].startswith("/admin/auth/")]
    assert user_pages
    assert [entry for entry in user_pages if entry[2] not in (302, 403, 404)] == []


def test_a_superuser_does_change_a_user_with_the_same_requests(client, scene):
    """The control: the matrix's requests are ones that change a user for someone who may."""
    client.force_login(
        get_user_model().objects.create_superuser("root@site.example", "root@site.example", "x")
    )
    url = reverse("admin:auth_user_password_change", args=[scene.target.pk])
    response = client.post(url, hostile_body(scene, scene.acme))
    assert response.status_code == 302, response.content
    assert authenticate(username=TARGET, password=CHOSEN) is not None


def test_no_role_carries_a_permission_on_users_groups_or_logins(db):
    """The admin's user, group and login-lock pages are a superuser's: no role group may open them."""
    held = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    assert not {perm for perm in held if perm.split(".")[0] in ("auth", "axes", "sessions", "contenttypes")}
    for role in ROLES:
        group = Group.objects.get(name=GROUPS[role])
        assert not group.permissions.filter(content_type__app_label__in=["auth", "axes"]).exists()


def test_every_user_page_of_the_admin_is_a_superusers(scene):
    for model, model_admin in admin.site._registry.items():
        if model is get_user_model() or model is Group:
            for user in scene.people.values():
                request = type("Request", (), {"user": user})()
                assert not model_admin.has_module_permission(request)
                assert not model_admin.has_change_permission(
                    request, scene.target if model is not Group else None
                )


# The source: who calls what writes a user ----------------------------------------------------------

# Functions and methods that write a user, and who may call them: the operator's commands, and the
# team screen (memberships only; the matrix above holds it to that).
USER_WRITES = {
    "set_password",
    "set_unusable_password",
    "create_user",
    "create_superuser",
    "user_create",
    "user_password_set_by_operator",
    "token_issue",
    "member_add",
    "membership_set",
    "membership_remove",
    "sync_role_groups_of",
    "language_set",
    "browser_language_note",
}
ALLOWED_CALLERS = {
    # The definitions themselves; sync_role_groups_of puts a member in their roles' groups.
    "accounts/services.py": {
        "set_password",
        "set_unusable_password",
        "user_create",
        "membership_set",
        "sync_role_groups_of",
        "groups.set",
    },
    "accounts/admin.py": {"member_add", "membership_set", "membership_remove"},
    # The signed-in user's own preferences (`language_set` refuses any other actor).
    "accounts/views.py": {"language_set"},
    # On sign-in, the browser's language of the user signing in (`user_logged_in`'s user).
    "accounts/middleware.py": {"browser_language_note"},
    "accounts/management/commands/create_user.py": {
        "user_create",
        "user_password_set_by_operator",
        "membership_set",
        "token_issue",
        "language_set",
    },
    "demo/management/commands/load_demo.py": {
        "user_create",
        "user_password_set_by_operator",
        "membership_set",
        "token_issue",
    },
    "bench/seed.py": {"user_create", "membership_set"},
}
# Writes to a user's own fields by assignment (`user.password = ...`) or through its relations.
USER_FIELDS = {"password", "email", "is_active", "is_superuser", "first_name", "last_name", "last_login"}


def project_sources():
    root = Path(settings.BASE_DIR)
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith((".venv/", "var/", "tests/", "node_modules/")) or "/migrations/" in relative:
            continue
        yield relative, ast.parse(path.read_text(), filename=relative)


def user_writes_in(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in USER_WRITES:
                found.add(called)
            relation = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(relation, ast.Attribute) and relation.attr in ("groups", "user_permissions"):
                found.add(f"{relation.attr}.{node.func.attr}")
        elif isinstance(node, ast.Assign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Attribute) and target.attr in USER_FIELDS:
                    found.add(f"= .{target.attr}")
    return found


def test_only_the_operators_commands_and_the_team_screen_call_what_writes_users():
    callers = {relative: user_writes_in(tree) for relative, tree in project_sources()}
    unexpected = {
        relative: sorted(writes - ALLOWED_CALLERS.get(relative, set()))
        for relative, writes in callers.items()
        if writes - ALLOWED_CALLERS.get(relative, set())
    }
    assert unexpected == {}, (
        "New code writes users. A user is changed only by that user or a superuser: if this is an "
        "operator's command or a membership change, add it to ALLOWED_CALLERS and to the matrix."
    )


# Operator commands --------------------------------------------------------------------------------


def test_create_user_for_an_existing_user_without_a_password_changes_only_the_membership(scene):
    from django.core.management import call_command

    before = user_row(scene.target)
    call_command("create_user", TARGET, account="globex", role="viewer", stdout=io.StringIO())
    assert_untouched(scene.target, before)
    assert roles_of(scene.target) == {"acme": Role.APPROVER, "globex": Role.VIEWER}


def test_create_user_sets_a_password_only_when_the_operator_gives_one(scene):
    from django.core.management import call_command

    before = user_row(scene.target)
    call_command(
        "create_user", TARGET, account="acme", role="approver", password=CHOSEN, stdout=io.StringIO()
    )
    assert authenticate(username=TARGET, password=CHOSEN) is not None
    after = user_row(scene.target)
    assert after.pop("password") != before.pop("password")
    assert after == before
