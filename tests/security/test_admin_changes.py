"""A viewer, or a user of another account, changes nothing through the admin: every model, every view, every action.

The matrix is built from the admin site itself (`admin.site._registry`): for each registered
model, its add, change and delete views, each of its actions on a row of the account, and each
extra URL it adds (approve, deny, resend, rotate token, the rule editor …), asked with GET and
POST. Afterwards every row of every table is as it was.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from authorization.models import Account
from connectors.models import HookDelivery, Notification
from orders.models import Order
from tests.orders.payloads import order_body

STANDARD = ("_changelist", "_add", "_history", "_delete", "_change", "_autocomplete")
SKIPPED_TABLES = {"sessions.session"}


def everything() -> dict:
    """Every row of every table, to compare before and after."""
    return {
        model._meta.label_lower: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in SKIPPED_TABLES
    }


@pytest.fixture
def filled(held_order, mkp, shop, settings, connector_server, globex):
    """acme with a held order, an order ready for handling, a feed, a hook with a failed delivery,
    a failed notification, a pickup point, a locked-out login; and globex beside it."""
    from axes.models import AccessAttempt

    from tests.factories import PickupPointFactory

    settings.HOOK_RETRY_BASE_SECONDS = 3600
    connector = mkp.client
    headers = mkp.headers()
    with mkp.capture(execute=True):
        connector.post("/api/orders/feed/config", data={}, content_type="application/json", **headers)
        hook = {"hook": {"url": connector_server.url + "/hook", "headers": {"X-Key": "hook-credential"}}}
        assert (
            connector.post(
                "/api/orders/hook/config", data=hook, content_type="application/json", **headers
            ).status_code
            == 200
        )
    connector_server.respond_with(500, 500, 500, 500)
    mkp.place(order_body(marketplaceOrderId="ready", marketplaceOrderStatus="approved"))
    assert Order.objects.get(marketplace_order_id="ready").status == "ready-for-handling"
    HookDelivery.objects.update(state="failed")
    Notification.objects.update(state="failed")
    PickupPointFactory(account=shop.account, warehouse=shop.warehouse)
    AccessAttempt.objects.create(
        username="owner@acme.example", ip_address="203.0.113.9", failures_since_start=9, user_agent="x"
    )
    return held_order.account


def rows_of(model, account) -> list:
    """Up to two rows of the model to aim at: the account's, or any for models outside accounts."""
    if not model._meta.managed:
        return []  # a page of the admin, not a table
    queryset = model._default_manager.all()
    if model is Account:
        queryset = queryset.filter(pk=account.pk)
    elif any(field.name == "account" for field in model._meta.get_fields()):
        queryset = queryset.filter(account=account)
    if model is Order or issubclass(model, Order):
        return list(queryset.order_by("pk"))[:2]
    return list(queryset.order_by("pk")[:1])


def extra_urls(model_admin, obj, account) -> list[str]:
    """The URLs a model's admin adds to the standard ones, aimed at `obj` and `account`."""
    urls = []
    for pattern in model_admin.get_urls():
        name = getattr(pattern, "name", None)
        if not name or name.endswith(STANDARD):
            continue
        kwargs = {}
        for parameter in pattern.pattern.converters:
            kwargs[parameter] = {"object_id": getattr(obj, "pk", 1), "account_id": account.pk}.get(
                parameter, 1
            )
        urls.append(reverse(f"admin:{name}", kwargs=kwargs))
    return urls


POSTED = {
    "account": "",
    "note": "Changed by someone who may not.",
    "reason_code": "other",
    "invoice_number": "INV-1",
    "post": "yes",
    "confirm": "1",
    "name": "Changed",
    "price_cents": "1",
    "quantity": "0",
    "active": "",
    "form-TOTAL_FORMS": "1",
    "form-INITIAL_FORMS": "0",
    "form-0-lower_percent": "0",
    "form-0-upper_percent": "100",
    "form-0-action": "authorize",
}


def try_everything(client, model, model_admin, account) -> list[tuple[str, str, int, str]]:
    """Ask every view of the model's admin, GET and POST; return (method, url, status, Location) of each."""
    info = (model._meta.app_label, model._meta.model_name)
    asked = []

    def ask(method, url, data=None):
        response = getattr(client, method)(url, data or {})
        assert response.status_code < 500, (method, url, response.status_code)
        asked.append((method, url, response.status_code, response.get("Location", "")))

    posted = POSTED | {"account": str(account.pk)}
    standard = {view for view in ("add", "changelist", "change") if has_url(f"{info[0]}_{info[1]}_{view}")}
    if "add" in standard:
        add = reverse("admin:{}_{}_add".format(*info))
        ask("get", add)
        ask("post", add, posted)
    for obj in rows_of(model, account) or [None]:
        if obj is not None and standard == {"add", "changelist", "change"}:
            changelist = reverse("admin:{}_{}_changelist".format(*info))
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            ask("post", change, posted)
            delete = reverse("admin:{}_{}_delete".format(*info), args=[obj.pk])
            ask("get", delete)
            ask("post", delete, {"post": "yes"})
            for action in [*model_admin.actions, "delete_selected"]:
                ask(
                    "post",
                    changelist,
                    posted | {"action": action, "_selected_action": [obj.pk], "index": "0"},
                )
        for url in extra_urls(model_admin, obj, account):
            ask("get", url)
            ask("post", url, posted)
    return asked


def has_url(name: str) -> bool:
    try:
        reverse(f"admin:{name}", args=[1]) if name.endswith("_change") else reverse(f"admin:{name}")
    except NoReverseMatch:
        return False
    return True


REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize("who", ["viewer", "owner of another account"])
@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED]
)
def test_someone_who_may_only_look_changes_nothing_through_the_admin(
    request, client, filled, who, model, model_admin
):
    user = request.getfixturevalue("viewer") if who == "viewer" else request.getfixturevalue("globex").owner
    client.force_login(user)
    before = everything()
    asked = try_everything(client, model, model_admin, filled)
    assert everything() == before
    if who == "viewer":
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for method, url, status, location in asked:
            if method == "post" and url.endswith(("/add/", "/delete/", "/change/")):
                # Refused, or sent elsewhere (the rule's pages lead to its editor); never saved,
                # which would lead back to the list.
                assert status == 403 or (status == 302 and location != changelist), (url, status, location)


def test_the_same_requests_from_the_owner_do_change_things(client, filled, owner):
    """The control: the matrix's requests are ones that work for someone who may."""
    from catalog.models import PickupPoint

    client.force_login(owner)
    assert PickupPoint.objects.count() == 1
    try_everything(client, PickupPoint, admin.site._registry[PickupPoint], filled)
    assert everything()["catalog.pickuppoint"] == []
