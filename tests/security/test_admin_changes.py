"""Who may not change a row through the admin changes nothing, with the very form that works for who may.

The matrix is built from the admin site itself (`admin.site._registry`): for each registered
model, its add, change and delete pages, each action of its list, and each form its pages post
to a view of its own (approve, deny, resend, rotate token, the rule editor …). The form is read
from the page of someone who may use it — the account's Owner, an approver of the band for a
decision, a superuser where only the operator may — as a browser would send it, with one
harmless field changed. That exact submission is then sent:

- by each role of the account that may not, by acme's viewer who is Owner of another account
  (and so holds every model permission of an Owner), by another account's Owner (and, for what
  nobody may, by a superuser): the database is as it was, row for row, and the answer is a
  refusal — never the form shown again with errors, which would only prove the form was invalid;
- by each who may (the positive control): it is saved, and the row changed as the form said.

A new model, action or form is in the matrix without touching this file. What only the
operator, or nobody, may do is listed below, so that a missing positive control is visible.
"""

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from accounts.models import Account, Membership
from accounts.roles import Role
from accounts.services import membership_set
from authorization.services import rule_replace
from connectors.models import HookDelivery, Notification
from demo.models import CallKind, ReceivedCall
from exports.models import Export
from exports.services import export_start
from orders.events import Actor
from orders.models import IntakeRecord, Order
from orders.services import order_start_handling
from orders.statuses import IntakeStatus, OrderStatus
from tests.connector_client import ConnectorClient
from tests.connector_server import start_connector_server
from tests.factories import (
    AccountFactory,
    PickupPointFactory,
    SkuFactory,
    StockFactory,
    UserFactory,
    WarehouseFactory,
    absence_to_come,
    band,
    connector,
    member,
)
from tests.orders.payloads import order_body
from tests.support.admin_forms import Form, errors_in, forms_in
from tests.support.orders import HELD
from tests.support.rule_editor import rule_url
from tests.support.shop import make_shop

# Each test runs in a savepoint of the module's world (see `world`), rolled back after it.
pytestmark = pytest.mark.django_db

SKIPPED_TABLES = {"sessions.session"}
STANDARD = ("add", "change", "delete")

ACME_ROLES = tuple(Role.values)
GLOBEX_OWNER = "owner of globex"
# acme's viewer who is Owner of globex: holds the Owner group, so only the role in the row's own
# account stands between them and acme's rows.
OWNER_ELSEWHERE = "viewer owning globex"
SUPERUSER = "superuser"
MANAGERS = (Role.OWNER, Role.OMS_FULL)  # who changes what an account manages

# The policy the admin must follow, beyond "Owner and OMS Full change their account's rows".
ALL = "*"
# What only the operator (a superuser) may do; every member of an account is refused.
OPERATOR_ONLY: dict[str, set[str]] = {
    "auth.group": {ALL},
    "auth.user": {ALL},
    "accounts.account": {"add", "delete", "action:delete_selected"},
    "axes.accessattempt": {"change", "delete", "action:delete_selected", "action:cleanup_expired_attempts"},
    "axes.accesslog": {"change", "delete", "action:delete_selected"},
    "axes.accessfailurelog": {"change", "delete", "action:delete_selected"},
}
# What nobody, not even a superuser, may do here: services write these rows.
NOBODY: dict[str, set[str]] = {
    "accounts.absence": {"change", "action:delete_selected"},  # set again; ended from its page
    "accounts.membership": {"action:delete_selected"},  # removing goes through the service
    "authorization.pricedivergencerule": {"add", "action:delete_selected"},  # the editor creates rules
    "axes.accessattempt": {"add"},
    "axes.accesslog": {"add"},
    "axes.accessfailurelog": {"add"},
    "connectors.feedconfig": {ALL},
    "connectors.hookconfig": {ALL},
    "connectors.hookdelivery": {*STANDARD, "action:delete_selected"},
    "connectors.notification": {*STANDARD, "action:delete_selected"},
    "demo.receivedcall": {ALL},  # what the demo connector received, as it came
    "exports.export": {ALL},
    "insight.decisionrecord": {ALL},
    "orders.intakerecord": {*STANDARD, "action:delete_selected"},
    "orders.order": {*STANDARD, "action:delete_selected"},
    "orders.waitingorder": {*STANDARD, "action:delete_selected"},
}
# Change pages a superuser may send that hold no field to change: the row stays as it was, and
# only the admin's history says "No fields changed."
FIELDLESS = {
    ("axes.accessattempt", "change"),
    ("axes.accesslog", "change"),
    ("axes.accessfailurelog", "change"),
}
# What fails for who may, and why: each is expected to fail until it is mended.
KNOWN_BROKEN: dict[tuple[str, str], str] = {}
# Decisions belong to the approvers of the band that held the order, whatever their role.
DECIDERS = ("approver",)
DECISIONS = {
    "action:approve_selected",
    "action:deny_selected",
    "form:orders_order_approve",
    "form:orders_order_deny",
}
# Views that are no form a person posts to change something: downloads, progress, JSON, previews,
# and the CSV imports, whose forms carry a file (tests/catalog/test_csv.py covers who may import).
NO_FORM = {
    "authorization_pricedivergencerule_preview",
    "authorization_pricedivergencerule_replay",
    "authorization_pricedivergencerule_rule_history",
    "authorization_pricedivergencerule_restore",  # a draft in the editor, saved by the rule's own form
    "catalog_sku_import",
    "catalog_sku_process_import",
    "catalog_sku_export",
    "catalog_stock_import",
    "catalog_stock_process_import",
    "catalog_stock_export",
    "exports_export_start",  # anyone who sees a list may export it (tests/exports)
    "exports_export_progress",
    "exports_export_download",
    "insight_decisionrecord_export",
    "orders_order_export",
    "orders_waitingorder_export",
    "orders_waitingorder_bulk",
    "orders_waitingorder_bulk_json",
}


# Absences: each approver sets and ends their own, the Owner anyone's. The matrix's absence, and
# the member the Owner's add form names (the first after themselves), is the approver's.
ABSENCE_SETTERS = (Role.OWNER, Role.APPROVER)


def listed(table: dict[str, set[str]], label: str, operation: str) -> bool:
    entry = table.get(label, set())
    return operation in entry or ALL in entry


def writers(label: str, operation: str) -> tuple[str, ...]:
    """Who may make this submission, by the policy above."""
    if listed(NOBODY, label, operation):
        return ()
    if listed(OPERATOR_ONLY, label, operation):
        return (SUPERUSER,)
    if operation in DECISIONS:
        return DECIDERS
    if label == "accounts.absence":
        return ABSENCE_SETTERS
    return MANAGERS


def refused(label: str, operation: str) -> tuple[str, ...]:
    allowed = writers(label, operation)
    everyone = (*ACME_ROLES, OWNER_ELSEWHERE, GLOBEX_OWNER) + ((SUPERUSER,) if not allowed else ())
    return tuple(who for who in everyone if who not in allowed)


# The operations, from the admin site ------------------------------------------------------------


def url_names(model_admin) -> list[str]:
    return [pattern.name for pattern in model_admin.get_urls() if getattr(pattern, "name", None)]


def operations(model, model_admin) -> list[str]:
    """The model's add, change and delete pages, its list's actions, and the forms of its own views."""
    prefix = f"{model._meta.app_label}_{model._meta.model_name}"
    names = url_names(model_admin)
    found = [operation for operation in STANDARD if f"{prefix}_{operation}" in names]
    if model._meta.managed and f"{prefix}_changelist" in names:
        actions = [*admin.site._actions, *(model_admin.actions or ())]
        found += [f"action:{getattr(action, '__name__', action)}" for action in dict.fromkeys(actions)]
    standard = tuple(f"{prefix}_{suffix}" for suffix in ("changelist", *STANDARD, "history", "autocomplete"))
    found += [f"form:{name}" for name in names if name not in standard and name not in NO_FORM]
    return found


REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)
MATRIX = [
    (model._meta.label_lower, operation)
    for model, model_admin in REGISTERED
    for operation in operations(model, model_admin)
]


# The accounts ----------------------------------------------------------------------------------


@dataclass
class Submission:
    """A form as the page of someone who may use it renders it, ready to be sent as it is."""

    url: str
    data: dict
    offered: bool  # whether the page offered it; for what nobody may, it is what the page would hold
    changed: str | None = None  # the field altered, for a change or an add
    value: object = None  # its new value, as sent


@dataclass
class World:
    acme: Account
    people: dict[str, object]
    sessions: dict[str, str]
    targets: dict[str, object] = field(default_factory=dict)
    submissions: dict[tuple[str, str], Submission] = field(default_factory=dict)

    def sign_in(self, client, who: str) -> None:
        """Sign the client in as `who`, with the session opened for them when the world was built."""
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[who]

    def target(self, label: str, operation: str = ""):
        return self.targets.get(f"{label} {operation}") or self.targets.get(label)


def everything() -> dict[str, str]:
    """A digest of every row of every table, by table, read in one query: compared before and after."""
    tables = [
        model
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in SKIPPED_TABLES
    ]
    query = " UNION ALL ".join(
        f"SELECT %s, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
        f"FROM {connection.ops.quote_name(model._meta.db_table)} t"
        for model in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [model._meta.label_lower for model in tables])
        return dict(cursor.fetchall())


def targets_of(acme: Account, people: dict) -> dict:
    """The row each model's operations aim at: one of acme's, which the operation can act on."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    reprocessable = [IntakeStatus.HELD, IntakeStatus.REJECTED, IntakeStatus.FAILED]
    held = Order.objects.get(account=acme, status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION)
    ready = Order.objects.get(account=acme, status=OrderStatus.READY_FOR_HANDLING)
    handling = Order.objects.get(account=acme, status=OrderStatus.HANDLING)
    outlet = Account.objects.get(name="acme outlet")  # acme's Owner's too; nothing holds on to it
    targets = {
        "accounts.account": acme,
        "accounts.account delete": outlet,
        "accounts.account action:delete_selected": outlet,
        "accounts.membership": Membership.objects.get(user__email="member@acme.example"),
        "auth.user": get_user_model().objects.get(email="member@acme.example"),
        "auth.group": Group.objects.get(name=Role.VIEWER.label),
        "axes.accessattempt": AccessAttempt.objects.get(),
        "axes.accesslog": AccessLog.objects.order_by("pk").first(),
        "axes.accessfailurelog": AccessFailureLog.objects.get(),
        "exports.export": Export.objects.get(user=people[Role.OWNER]),
        "orders.intakerecord": IntakeRecord.objects.filter(account=acme, status__in=reprocessable).first(),
        "orders.order": held,
        "orders.waitingorder": held,
        "orders.order form:orders_order_start_handling": ready,
        "orders.order form:orders_order_invoice": handling,
        "connectors.notification": Notification.objects.filter(account=acme, state="failed").first(),
        "connectors.hookdelivery": HookDelivery.objects.filter(account=acme, state="failed").first(),
    }
    for model, model_admin in REGISTERED:
        label = model._meta.label_lower
        path = getattr(model_admin, "account_path", None)
        if label not in targets and path and model._meta.managed:
            targets[label] = model._default_manager.filter(**{path: acme}).order_by("-pk").first()
    return targets


def sessions_of(people: dict) -> dict[str, str]:
    """A signed-in session for each person: signing in once, not in every test, keeps the tests
    quick and leaves no trace of the login among the rows they compare."""
    sessions = {}
    for who, user in people.items():
        client = Client()
        client.force_login(user)
        sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def build(server) -> World:
    """acme with a row of every kind (held and ready orders, failed notifications and hook
    deliveries, a feed, an export, a login lock-out …), its people, and globex's Owner beside it."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    capture = TestCase.captureOnCommitCallbacks
    with capture(execute=True):
        acme, globex = AccountFactory(name="acme"), AccountFactory(name="globex")
        people = {role: member(acme, role, f"{role}@acme.example") for role in ACME_ROLES}
        people[GLOBEX_OWNER] = member(globex, Role.OWNER, "owner@globex.example")
        people[OWNER_ELSEWHERE] = member(acme, Role.VIEWER, "viewer.elsewhere@acme.example")
        membership_set(user=people[OWNER_ELSEWHERE], account=globex, role=Role.OWNER)
        people[SUPERUSER] = UserFactory(email="root@example.com", is_superuser=True)
        membership_set(user=people[Role.OWNER], account=AccountFactory(name="acme outlet"), role=Role.OWNER)
        shop = make_shop(acme, server.url)
        WarehouseFactory(account=acme, warehouse_id="WH0", name="Back room")  # stock can be added
        PickupPointFactory(account=acme, warehouse=shop.warehouse)
        # Rows nothing holds on to, each with an earlier version to go back to: what the matrix
        # changes, deletes and reverts (the shop's SKU and connector are held by its orders).
        socks = SkuFactory(account=acme, sku_id="2", name="Socks", price_cents=500)
        StockFactory(sku=socks, warehouse=shop.warehouse, quantity=5)
        spare, _credentials = connector(acme, endpoint=server.url, name="Spare", affiliate_id="SPR")
        for row, name in ((socks, "Socks (pair)"), (spare, "Spare market")):
            row.name = name
            row.save()
        rule_replace(
            account=acme,
            bands=[band(0, 10, "authorize"), band(10, 20, "manual", [people[Role.APPROVER].email])],
            actor=people[Role.OWNER],
        )
        absence_to_come(acme, people[Role.APPROVER], people[Role.OWNER])
    marketplace = ConnectorClient(Client(), shop.credentials, capture)
    with capture(execute=True):
        marketplace.client.post(
            "/api/orders/feed/config", data={}, content_type="application/json", **marketplace.headers()
        )
        hook = {"hook": {"url": server.url + "/hook", "headers": {"X-Key": "hook-credential"}}}
        marketplace.client.post(
            "/api/orders/hook/config", data=hook, content_type="application/json", **marketplace.headers()
        )
    server.respond_with(*[500] * 20)
    marketplace.place(order_body(marketplacePaymentValue=HELD))
    marketplace.place(order_body(marketplaceOrderId="ready", marketplaceOrderStatus="approved"))
    marketplace.place(
        order_body(marketplaceOrderId="rejected", items=[{"id": "404", "price": 975, "quantity": 1}])
    )
    marketplace.place(order_body(marketplaceOrderId="handled", marketplaceOrderStatus="approved"))
    with capture(execute=True):
        order_start_handling(
            order=Order.objects.get(marketplace_order_id="handled"), actor=Actor.of_user(people[Role.OWNER])
        )
    server.respond_with()
    HookDelivery.objects.update(state="failed")
    Notification.objects.update(state="failed")
    with capture(execute=True):
        member(acme, Role.VIEWER, "member@acme.example")  # the member the matrix changes and removes
        export_start(
            user=people[Role.OWNER],
            model_admin=admin.site.get_model_admin(Order),
            query="",
            accounts=[acme.pk],
        )
    attempt = AccessAttempt.objects.create(
        username="owner@acme.example", ip_address="203.0.113.9", failures_since_start=9, user_agent="x"
    )
    # Long past its cool-off: what "clean up expired attempts" removes.
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(days=1))
    AccessLog.objects.create(username="owner@acme.example", ip_address="203.0.113.9", user_agent="x")
    AccessFailureLog.objects.create(username="owner@acme.example", ip_address="203.0.113.9", user_agent="x")
    ReceivedCall.objects.create(
        account=acme, kind=CallKind.PING, path="/demo/connector/hook", signature_valid=True, body={}
    )
    return World(acme, people, sessions_of(people), targets_of(acme, people))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the whole matrix, built once: each test runs in a savepoint of it, rolled back.
    Its settings (cheap passwords, eager tasks, no lock-out bookkeeping) hold for those tests too."""
    from config.celery import app

    server = start_connector_server()
    eager = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    quick = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        AXES_ENABLED=False,  # the lock-out's bookkeeping of logins would clean up the expired attempt
        OUTBOUND_ALLOW_PRIVATE_URLS=True,
        HOOK_RETRY_BASE_SECONDS=3600,
        NOTIFICATION_RETRY_BASE_SECONDS=3600,
    )
    try:
        with django_db_blocker.unblock(), quick, transaction.atomic():
            yield build(server)
            transaction.set_rollback(True)
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = eager
        server.server.shutdown()
        server.server.server_close()


# Reading the form --------------------------------------------------------------------------------


def info(label: str) -> tuple[str, str]:
    model = apps.get_model(label)
    return model._meta.app_label, model._meta.model_name


def standard_url(label: str, view: str, target=None) -> str:
    app_label, model_name = info(label)
    args = [target.pk] if view in ("change", "delete") else None
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def extra_url(world: World, name: str, target) -> str:
    """The URL of one of a model admin's own views, aimed at the target row (its earliest version,
    for a history page) and at acme."""
    regex = next(
        pattern.pattern.regex
        for model_admin in admin.site._registry.values()
        for pattern in model_admin.get_urls()
        if getattr(pattern, "name", None) == name
    )
    values = {"object_id": getattr(target, "pk", None), "id": getattr(target, "pk", None)}
    values["account_id"] = world.acme.pk
    positional = regex.groups - len(regex.groupindex)
    args = [target.pk, target.history.earliest().history_id][:positional] if positional else None
    return reverse(f"admin:{name}", args=args, kwargs={key: values[key] for key in regex.groupindex} or None)


def body(response) -> str:
    return response.content.decode() if not response.streaming else ""


def page(client, url: str):
    """GET the page, following where it sends; return the final response and its URL."""
    response = client.get(url, follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else url
    return response, final


def main_form(response, url: str, label: str) -> Form | None:
    """The page's form that posts to the page itself: the admin's `<model>_form`, or the largest."""
    if response.status_code != 200:
        return None
    forms = [form for form in forms_in(body(response), url) if form.method == "post"]
    own = [form for form in forms if form.id == f"{info(label)[1]}_form"]
    itself = [form for form in forms if urlsplit(form.url).path == urlsplit(url).path]
    candidates = own or sorted(itself, key=lambda form: -len(form.controls))
    return candidates[0] if candidates else None


def sent(client, form: Form, button: str | None = None, attempts: int = 4):
    """Send the form; when the admin shows it again with errors, answer them as a person would
    (`Form.corrected`) and send it again. Return the form sent last and the answer."""
    for _ in range(attempts):
        response = client.post(form.url, form.data(button))
        errors = errors_in(body(response)) if response.status_code == 200 else {}
        again = [each for each in forms_in(body(response), form.url) if each.id == form.id] if errors else []
        if not again:
            return form, response
        form = again[0].corrected(errors)
    return form, response


def saving_button(form: Form) -> str | None:
    return "_save" if "_save" in dict(form.buttons) else None


def with_values_of(form: Form, existing: Form | None) -> Form:
    """The add form with the fields an existing row's change page also shows filled as they are there."""
    form = form.copy()
    for index, control in enumerate(form.controls):
        twins = [each for each in existing.named(control.name) if each.editable] if existing else []
        if control.editable and len(twins) == 1:
            form.controls[index] = dataclasses.replace(twins[0], options=copy.deepcopy(twins[0].options))
    return form


def action_form(client, label: str, action: str, target) -> Form | None:
    """The list's action form with the action chosen and only the target row ticked, if offered."""
    response, url = page(client, standard_url(label, "changelist"))
    form = next((form for form in forms_in(body(response), url) if form.id == "changelist-form"), None)
    if form is None or "action" not in form:
        return None
    (select,) = form.named("action")
    if action not in [option.value for option in select.options]:
        return None
    form.set("action", action)
    for control in form.named("_selected_action"):
        control.checked = control.value == str(target.pk)
    assert form.data().get("_selected_action") == [str(target.pk)], f"{target} is not on the list"
    return form


def step_of(response, url: str, action: str) -> Form | None:
    """The page an action shows before it acts (a confirmation, a reason to give): its form."""
    if response.status_code != 200:
        return None
    return next(
        (
            form
            for form in forms_in(body(response), url)
            if form.method == "post" and action in form.data().get("action", [])
        ),
        None,
    )


def told(response, level: int) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request) if message.level == level]


def read_submission(client, world: World, label: str, operation: str) -> tuple[Submission, object]:
    """Read the operation's form from the author's pages and send it; return it and the answer.

    What no page offers is still sent, as the page would hold it: a change page's fields shown
    read-only, Django's delete confirmation, the list's action form with the action chosen.
    """
    target = world.target(label, operation)
    kind, _, name = operation.partition(":")
    if kind in STANDARD:
        address = standard_url(label, kind, None if kind == "add" else target)
        response, url = page(client, address)
        form = main_form(response, url, label)
        if form is None or not form.submittable:
            held = {"post": ["yes"]} if kind == "delete" else form.data() if form else {}
            return Submission(address, held, offered=False), response
        changed = None
        if kind == "add":
            shown, change_url = page(client, standard_url(label, "change", target))
            form, changed = with_values_of(form, main_form(shown, change_url, label)).filled().changed("text")
        elif kind == "change" and any(control.editable for control in form.controls):
            form, changed = form.filled().changed()
        form, response = sent(client, form, saving_button(form))
        data = form.data(saving_button(form))
        return Submission(form.url, data, True, changed, data.get(changed)), response
    if kind == "action":
        form = action_form(client, label, name, target)
        if form is None:
            held = {"action": [name], "_selected_action": [str(target.pk)], "index": ["0"], "post": ["yes"]}
            return Submission(standard_url(label, "changelist"), held, offered=False), None
        response = client.post(form.url, form.data("index"))
        step = step_of(response, form.url, name)
        if step is None:
            return Submission(form.url, form.data("index"), True), response
        step, response = sent(client, step.filled())
        return Submission(step.url, step.data(), True), response
    url = extra_url(world, name, target)
    pages = [
        url,
        standard_url(label, "change", target) if target else None,
        standard_url(label, "changelist"),
    ]
    for address in filter(None, pages):
        response, final = page(client, address)
        found = [
            form
            for form in forms_in(body(response), final)
            if form.method == "post" and form.submittable and urlsplit(form.url).path == urlsplit(url).path
        ]
        if found and response.status_code == 200:
            form, response = sent(client, found[0].filled())
            return Submission(form.url, form.data(), True), response
    return Submission(url, {}, offered=False), None


def submission(world: World, label: str, operation: str) -> Submission:
    """The operation's form as its author's page renders it, checked to work for the author.

    The author is the first who may (the Owner, an approver for a decision, a superuser for the
    operator's work), or a superuser for what nobody may. The author's own send runs in a
    savepoint rolled back, and must succeed and change something: otherwise a refusal of the
    same submission would prove nothing. Read once per module (its world does not change).
    """
    key = (label, operation)
    if key not in world.submissions:
        allowed = writers(label, operation)
        author = allowed[0] if allowed else SUPERUSER
        client = Client()
        world.sign_in(client, author)
        with transaction.atomic():
            before = everything()
            found, response = read_submission(client, world, label, operation)
            after = everything()
            transaction.set_rollback(True)
        if allowed:
            assert found.offered, f"{label} {operation}: no page offers {author} this form"
            problems = errors_in(body(response)) or told(response, messages.ERROR)
            assert not problems, f"{label} {operation}: {author}'s own submission failed: {problems}"
            assert after != before, f"{label} {operation}: {author}'s own submission changed nothing"
        world.submissions[key] = found
    return world.submissions[key]


# What the answers must show ----------------------------------------------------------------------


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


INVALID_CHOICE = "Select a valid choice."


def names_acme(world: World, label: str, name: str, values: list[str]) -> bool:
    """Whether the field names acme, or rows of acme, which only acme's people may choose."""
    try:
        related = apps.get_model(label)._meta.get_field(name).related_model
    except FieldDoesNotExist:
        return False
    if related is None or not values:
        return False
    if related is Account:
        return values == [str(world.acme.pk)]
    if related is get_user_model():
        members = Membership.objects.filter(user__in=values, account=world.acme)
        return members.count() == len(values)
    rows = related._default_manager.filter(pk__in=values)
    return len(rows) == len(values) and all(row.account_id == world.acme.pk for row in rows)


@dataclass(frozen=True)
class Answer:
    """What a refused person is answered: the status, where a redirect leads ("list": the model's
    list, "row": the target's change page, "rule": the rule of the person's one account), and the
    messages the page then shows, in order ({pk}: the target's)."""

    status: int
    to: str = ""
    told: tuple[str, ...] = ()


FORBIDDEN = Answer(403)
NOT_FOUND = Answer(404)  # a view that looks the row up in the person's own accounts
LISTED = Answer(200)  # the list shown again: it offers the person no action at all, so none is taken
NO_ACTION = Answer(302, "list", ("No action selected.",))  # the list offers them others, not this one
ON_NOTHING = Answer(302, "list")  # the action ran on none of the rows: the target is not on their list
RULE = Answer(302, "rule")  # the rules' list opens the editor of a person's only account


def back(to: str, *told: str) -> Answer:
    return Answer(302, to, told)


# Another account's Owner finds no such row; the account's people who may not are forbidden.
OWN_VIEW = {ALL: FORBIDDEN, GLOBEX_OWNER: NOT_FOUND}
# A list's action for the managers: approvers and viewers are offered no action on that list; acme's
# viewer who owns globex is offered it, and refused for acme's row; globex's Owner never sees the row.
MANAGERS_ACTION = {
    Role.APPROVER: LISTED,
    Role.VIEWER: LISTED,
    OWNER_ELSEWHERE: FORBIDDEN,
    GLOBEX_OWNER: ON_NOTHING,
}
# Deleting what nobody may from a list whose managers have actions of their own.
NOBODY_DELETES = {ALL: NO_ACTION, Role.APPROVER: LISTED, Role.VIEWER: LISTED}


def skipped_by_action(message: str) -> dict:
    """A managers' action that skips, naming it, each row its sender may not act on."""
    return {**MANAGERS_ACTION, OWNER_ELSEWHERE: back("list", message)}


NOT_DECIDER = (
    "Only the approvers of the band that held order MKP-123456789 may decide it (approver@acme.example)."
)


def queue_decision(done: str) -> dict:
    return {
        ALL: back("list", f"0 of 1 order {done}: MKP-123456789 you may not decide."),
        Role.VIEWER: back(
            "list", "You may read the queue but not decide orders: your role does not approve."
        ),
        GLOBEX_OWNER: back("list", f"0 of 1 order {done}: #{{pk}} is not in your accounts."),
    }


def handling(order: str) -> dict:
    return {
        ALL: back("row", f"Only an Owner or OMS Full user may handle or invoice order {order}."),
        GLOBEX_OWNER: NOT_FOUND,
    }


# The one answer to each submission other than an add, change or delete page's — a list's action,
# a form of the model's own views — by each who may not send it (ALL: everyone not named).
REFUSED_ANSWERS: dict[tuple[str, str], dict[str, Answer]] = {
    # Only the operator sees these lists and pages.
    ("auth.group", "action:delete_selected"): {ALL: FORBIDDEN},
    ("auth.user", "action:delete_selected"): {ALL: FORBIDDEN},
    ("auth.user", "form:auth_user_password_change"): {ALL: FORBIDDEN},
    ("axes.accessattempt", "action:delete_selected"): {ALL: FORBIDDEN},
    ("axes.accessattempt", "action:cleanup_expired_attempts"): {ALL: FORBIDDEN},
    ("axes.accessfailurelog", "action:delete_selected"): {ALL: FORBIDDEN},
    ("axes.accesslog", "action:delete_selected"): {ALL: FORBIDDEN},
    # Lists that offer their readers no action at all.
    ("accounts.absence", "action:delete_selected"): {ALL: LISTED},
    ("accounts.account", "action:delete_selected"): {ALL: LISTED},
    ("connectors.feedconfig", "action:delete_selected"): {ALL: LISTED},
    ("connectors.hookconfig", "action:delete_selected"): {ALL: LISTED},
    # Only the operator and the demo account's people see it: none of acme's.
    ("demo.receivedcall", "action:delete_selected"): {ALL: FORBIDDEN, SUPERUSER: LISTED},
    ("exports.export", "action:delete_selected"): {ALL: LISTED},
    ("insight.decisionrecord", "action:delete_selected"): {ALL: LISTED},
    ("orders.order", "action:delete_selected"): {ALL: LISTED},
    ("authorization.pricedivergencerule", "action:delete_selected"): {
        ALL: LISTED,  # people of several accounts (and the operator) see the list of their rules
        Role.OMS_FULL: RULE,
        Role.APPROVER: RULE,
        Role.VIEWER: RULE,
        GLOBEX_OWNER: RULE,
    },
    ("accounts.membership", "action:delete_selected"): NOBODY_DELETES,
    ("connectors.hookdelivery", "action:delete_selected"): NOBODY_DELETES,
    ("connectors.notification", "action:delete_selected"): NOBODY_DELETES,
    ("orders.intakerecord", "action:delete_selected"): NOBODY_DELETES,
    ("orders.waitingorder", "action:delete_selected"): {ALL: NO_ACTION, Role.VIEWER: LISTED},
    # The managers' actions on their own rows.
    ("catalog.pickuppoint", "action:delete_selected"): MANAGERS_ACTION,
    ("catalog.shippingpolicy", "action:delete_selected"): MANAGERS_ACTION,
    ("catalog.sku", "action:delete_selected"): MANAGERS_ACTION,
    ("catalog.stock", "action:delete_selected"): MANAGERS_ACTION,
    ("catalog.warehouse", "action:delete_selected"): MANAGERS_ACTION,
    ("connectors.connector", "action:delete_selected"): MANAGERS_ACTION,
    ("accounts.membership", "action:remove_members"): {
        **MANAGERS_ACTION,
        OWNER_ELSEWHERE: back("list", "Removed 0 member(s)."),
        GLOBEX_OWNER: back("list", "Removed 0 member(s)."),
    },
    ("connectors.hookdelivery", "action:resend"): skipped_by_action(
        "MKP-handled Handling: only an Owner or OMS Full user may resend it."
    ),
    ("connectors.notification", "action:resend"): skipped_by_action(
        "SOI002 for handled: only an Owner or OMS Full user may resend it."
    ),
    ("orders.intakerecord", "action:reprocess"): skipped_by_action(
        "MKP rejected: only an Owner or OMS Full user may reprocess it."
    ),
    ("orders.intakerecord", "action:reprocess_ignoring_divergence"): skipped_by_action(
        "MKP rejected: only an Owner or OMS Full user may reprocess it."
    ),
    # The models' own views.
    ("authorization.pricedivergencerule", "form:authorization_pricedivergencerule_editor"): OWN_VIEW,
    ("authorization.pricedivergencerule", "form:authorization_pricedivergencerule_delete_rule"): OWN_VIEW,
    ("connectors.connector", "form:connectors_connector_rotate_token"): OWN_VIEW,
    ("connectors.hookdelivery", "form:connectors_hookdelivery_resend"): OWN_VIEW,
    ("connectors.notification", "form:connectors_notification_resend"): OWN_VIEW,
    ("orders.intakerecord", "form:orders_intakerecord_reprocess"): OWN_VIEW,
    # Reverting to an earlier version: for the managers only, another account's too.
    ("catalog.sku", "form:catalog_sku_simple_history"): {ALL: FORBIDDEN},
    ("connectors.connector", "form:connectors_connector_simple_history"): {ALL: FORBIDDEN},
    ("orders.order", "form:orders_order_approve"): {ALL: back("row", NOT_DECIDER), GLOBEX_OWNER: NOT_FOUND},
    ("orders.order", "form:orders_order_deny"): {ALL: back("row", NOT_DECIDER), GLOBEX_OWNER: NOT_FOUND},
    ("orders.order", "form:orders_order_start_handling"): handling("MKP-ready"),
    ("orders.order", "form:orders_order_invoice"): handling("MKP-handled"),
    ("orders.waitingorder", "action:approve_selected"): queue_decision("approved"),
    ("orders.waitingorder", "action:deny_selected"): queue_decision("denied"),
}


def refusal(world: World, label: str, operation: str, who: str) -> tuple[int, str, list[str]]:
    """The answer REFUSED_ANSWERS names, as (status, Location, messages) of this world."""
    answers = REFUSED_ANSWERS[(label, operation)]
    answer = answers.get(who, answers.get(ALL))
    assert answer is not None, f"REFUSED_ANSWERS names no answer for {who}"
    target = world.target(label, operation)
    if answer.to == "rule":
        account = Membership.objects.get(user=world.people[who]).account
        where = rule_url("editor", account)
    elif answer.to == "row":
        where = standard_url(label, "change", target)
    elif answer.to == "list":
        where = standard_url(label, "changelist")
    else:
        where = ""
    return answer.status, where, [message.format(pk=target.pk) for message in answer.told]


def assert_refused(world: World, label: str, operation: str, sending: Submission, response, who: str) -> None:
    """The answer refuses: forbidden, not found, sent elsewhere, or the list shown again; never a
    form with errors — except, on an add page the user may use for their own account, the admin's
    refusal of acme (or its rows) as a choice, which is how it keeps them out of another account."""
    kind = operation.partition(":")[0]
    status, location = response.status_code, response.get("Location", "")
    errors = errors_in(body(response))
    if errors:
        assert kind == "add", f"the form was shown again with errors, not refused: {errors}"
        assert any(message.startswith(INVALID_CHOICE) for found in errors.values() for message in found)
        for name in errors:
            assert names_acme(world, label, name, sending.data.get(name, [])), (name, errors)
    if kind in STANDARD:
        # A save or delete leads back to the list, and says it was done.
        assert (
            status in (403, 404)
            or errors
            or (status == 302 and location != standard_url(label, "changelist"))
        )
        assert told(response, messages.SUCCESS) == []
    else:
        shown = [str(message) for message in get_messages(response.wsgi_request)]
        assert (status, location, shown) == refusal(world, label, operation, who)


def assert_done(world: World, label: str, operation: str, sending: Submission, known: set, before, after):
    """The author's submission did what it says: the new row, the changed field, the row gone."""
    model = apps.get_model(label)
    target = world.target(label, operation)
    kind, _, name = operation.partition(":")
    rows = model._default_manager.all()
    if kind == "add":
        added = rows.exclude(pk__in=known)
        assert len(added) == 1, f"{len(added)} rows added"
        if has_field(model, sending.changed):
            assert as_sent(added[0], sending.changed) == sending.value
    elif kind == "change" and sending.changed is None:
        assert (label, operation) in FIELDLESS, "the change form had no field to change"
        assert changed_tables(before, after) == ["admin.logentry"]  # "No fields changed."
    elif kind == "change" and has_field(model, sending.changed):
        row = rows.get(pk=target.pk)
        assert as_sent(row, sending.changed) == sending.value != as_sent(target, sending.changed)
    elif kind == "delete" or name == "delete_selected":
        assert not rows.filter(pk=target.pk).exists()
    else:
        # An action or a view of the admin's own: rows of its model, or hanging off them, changed.
        related = {model._meta.label_lower} | {
            relation.related_model._meta.label_lower
            for relation in model._meta.related_objects
            if relation.related_model._meta.managed
        }
        assert related & set(changed_tables(before, after)), changed_tables(before, after)


def has_field(model, name: str | None) -> bool:
    try:
        return name is not None and model._meta.get_field(name).concrete
    except FieldDoesNotExist:
        return False


def as_sent(row, name: str) -> list[str] | None:
    """The field's value as a form sends it: a box ticked is ["on"], a relation its id."""
    field = row._meta.get_field(name)
    value = getattr(row, field.attname)
    if isinstance(value, bool):
        return ["on"] if value else None
    return [str(value)]


# The matrix --------------------------------------------------------------------------------------


def case(label: str, operation: str, who: str):
    broken = KNOWN_BROKEN.get((label, operation))
    marks = [pytest.mark.xfail(reason=broken, strict=True)] if broken else []
    return pytest.param(label, operation, who, id=f"{label} {operation} by {who}", marks=marks)


REFUSALS = [case(label, operation, who) for label, operation in MATRIX for who in refused(label, operation)]
CONTROLS = [case(label, operation, who) for label, operation in MATRIX for who in writers(label, operation)]
UNOFFERED = [
    pytest.param(label, operation, id=f"{label} {operation}")
    for label, operation in MATRIX
    if not writers(label, operation)
]


@pytest.mark.parametrize(("label", "operation", "who"), REFUSALS)
def test_who_may_not_changes_nothing_with_the_form_that_works(world, client, label, operation, who):
    sending = submission(world, label, operation)
    world.sign_in(client, who)
    before = everything()

    response = client.post(sending.url, sending.data)

    assert changed_tables(before, everything()) == []
    assert_refused(world, label, operation, sending, response, who)


@pytest.mark.parametrize(("label", "operation", "who"), CONTROLS)
def test_who_may_changes_it_with_the_same_form(world, client, label, operation, who):
    sending = submission(world, label, operation)
    known = set(apps.get_model(label)._default_manager.values_list("pk", flat=True))
    world.sign_in(client, who)
    before = everything()

    response = client.post(sending.url, sending.data)

    after = everything()
    assert response.status_code == 302, (response.status_code, errors_in(body(response)))
    assert told(response, messages.ERROR) == []
    assert_done(world, label, operation, sending, known, before, after)


@pytest.mark.parametrize(("label", "operation"), UNOFFERED)
def test_what_nobody_may_do_no_page_offers_even_a_superuser(world, label, operation):
    """The models and actions read-only for everyone, listed in NOBODY: no positive control is
    missing by accident, since not even a superuser is offered the form (the matrix then checks
    that sending it anyway is refused)."""
    assert not submission(world, label, operation).offered


def test_the_policy_names_only_what_the_admin_has():
    """Every entry of the tables above is a model and operation of the admin: none outlives its page."""
    known = set(MATRIX)
    labels = {label for label, _ in MATRIX}
    for table in (OPERATOR_ONLY, NOBODY):
        for label, entries in table.items():
            assert label in labels, label
            assert all((label, entry) in known for entry in entries - {ALL}), (label, entries)
    assert {*FIELDLESS, *KNOWN_BROKEN} <= known
    assert set(REFUSED_ANSWERS) == {entry for entry in MATRIX if entry[1].partition(":")[0] not in STANDARD}
    assert {operation for _, operation in MATRIX} >= DECISIONS
    assert {name for _, model_admin in REGISTERED for name in url_names(model_admin)} >= NO_FORM
    # A model with no operation at all is a page of the admin, not a table.
    assert all(not model._meta.managed for model, _ in REGISTERED if model._meta.label_lower not in labels)


def test_the_form_reader_sends_what_a_browser_sends():
    """The control of tests/support/admin_forms.py: what is sent, filled, changed and named in errors."""
    page = """
    <form method="get" id="search"><input name="q"></form>
    <form method="post" id="thing_form" action="../save/">
      <input type="hidden" name="csrfmiddlewaretoken" value="t">
      <label for="id_name">Name:</label><input name="name" id="id_name" value="Shirt" maxlength="5" required>
      <input name="code" required>
      <input type="checkbox" name="active" checked><input type="checkbox" name="gift">
      <input name="fixed" value="x" disabled>
      <select name="role"><option value="">---</option><option value="owner">O</option>
        <option value="viewer" selected>V</option></select>
      <select name="zone" required><option value="">---</option><option value="utc">UTC</option></select>
      <select name="tags" multiple><option value="1" selected>a</option><option value="2" selected>b</option></select>
      <textarea name="note">
line</textarea>
      <input name="rows-__prefix__-n" value="">
      <ul class="errorlist" id="id_name_error"><li>Too long.</li></ul>
      <ul class="errorlist nonfield"><li>Thing with this Name already exists.</li></ul>
      <input type="submit" name="_save" value="Save"><button type="submit">Go</button>
    </form>"""
    search, form = forms_in(page, "/admin/app/thing/1/change/")

    assert (search.method, form.url, form.submittable) == ("get", "/admin/app/thing/1/save/", True)
    assert form.data("_save") == {
        "csrfmiddlewaretoken": ["t"],
        "name": ["Shirt"],
        "code": [""],
        "active": ["on"],
        "role": ["viewer"],
        "zone": [""],
        "tags": ["1", "2"],
        "note": ["line"],
        "rows-__prefix__-n": [""],
        "_save": ["Save"],
    }
    filled = form.filled().data()
    assert filled["code"] != [""] and filled["zone"] == ["utc"] and filled["rows-__prefix__-n"] == [""]
    changed, name = form.changed()
    assert (name, changed.data().get("active")) == ("active", None)
    changed, name = form.changed("text")
    assert (name, changed.data()["name"]) == ("name", ["Shir2"])  # within its maxlength
    assert errors_in(page) == {"name": ["Too long."], "__all__": ["Thing with this Name already exists."]}
    corrected = form.corrected({"__all__": ["Thing with this Name already exists."]})
    assert corrected.data()["name"] != ["Shirt"] and corrected.data()["code"] == [""]
