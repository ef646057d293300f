"""Every admin URL, asked by every kind of user with hostile query strings: never a 500, never another account's row.

The URLs come from the admin's own URL resolver, each model's part mapped to its ModelAdmin in
`admin.site._registry`: the index, every app page, changelist, add, change, delete and history
page, every view a ModelAdmin adds (approve, deny, bulk progress, rule editor, replay,
dashboard, exports, CSV exports …) and the site's own views. A new admin URL is crawled without
touching this file; one whose parameters the crawl cannot fill fails the test until it learns them.

Three accounts are filled with a row of every kind, each carrying its account's mark in names,
e-mails and order ids. Each user asks every URL — with their own rows, another account's rows,
non-numeric and enormous ids — and the lists with enormous and bad page numbers, out-of-range
years and dates on every date field, unknown filters, bad filter values and odd searches. No
answer may be a 500, and no body (pages, CSV files, JSON) may hold the mark of an account the
user is not in.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.test import RequestFactory
from django.urls import NoReverseMatch, URLResolver, get_resolver, resolve, reverse

from accounts.models import Account
from accounts.roles import Role
from accounts.selectors import accounts_for
from accounts.services import membership_set
from authorization.models import RuleRevision
from authorization.services import rule_replace
from connectors.models import HookDelivery, Notification
from demo.models import CallKind, ReceivedCall
from exports.models import Export
from exports.services import export_start
from orders import bulk
from orders.models import BulkDecision, Order
from tests.connector_client import ConnectorClient
from tests.factories import (
    AccountFactory,
    PickupPointFactory,
    ShippingPolicyFactory,
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

HELD = 2571  # 15.01 % below the seller's 3025: the manual band
HUGE = "99999999999999999999"
STANDARD = ("_changelist", "_add", "_history", "_delete", "_change")


# The accounts ------------------------------------------------------------------------------------


def seed(account, mark: str, *, client, capture, endpoint, connector_server, full: bool = True) -> dict:
    """Fill the account with a row of every kind the admin shows, each carrying `mark`; return its people."""
    people = {role: member(account, role, f"{role}@{mark}.example") for role in Role.values}
    warehouse = WarehouseFactory(account=account, warehouse_id="WH1", name=f"{mark} warehouse")
    sku = SkuFactory(account=account, sku_id="1", price_cents=975, name=f"{mark} shirt")
    sku.name = f"{mark} t-shirt"
    sku.save()  # a second version in the SKU's history
    StockFactory(sku=sku, warehouse=warehouse, quantity=100)
    policy = ShippingPolicyFactory(account=account, policy_id="Express", freight_cents=2050, estimate="2d")
    policy.warehouses.add(warehouse)
    PickupPointFactory(account=account, warehouse=warehouse, name=f"{mark} store")
    _connector, credentials = connector(account, endpoint=endpoint, name=f"{mark} market")
    LogEntry.objects.log_actions(
        user_id=people[Role.OWNER].pk, queryset=[sku], action_flag=ADDITION, change_message=f"{mark} added"
    )
    ReceivedCall.objects.create(
        account=account,
        kind=CallKind.NOTIFICATION,
        path=f"/demo/connector/order-integration/notification/processing-result?an={account.name}",
        code="SOI001",
        order=f"{mark}-call",
        signature_valid=True,
        body={"marketplaceOrderId": f"{mark}-call", "code": "SOI001"},
    )
    if not full:
        return people
    rule_replace(
        account=account,
        bands=[band(0, 10, "authorize"), band(10, 20, "manual", [people[Role.APPROVER].email])],
        actor=people[Role.OWNER],
    )
    absence_to_come(account, people[Role.APPROVER], people[Role.OWNER])
    connector_client = ConnectorClient(client, credentials, capture)
    headers = connector_client.headers()
    with capture(execute=True):
        client.post("/api/orders/feed/config", data={}, content_type="application/json", **headers)
        hook = {"hook": {"url": connector_server.url + "/hook", "headers": {"X-Key": f"{mark}-key"}}}
        client.post("/api/orders/hook/config", data=hook, content_type="application/json", **headers)
    customer = {
        "email": f"buyer@{mark}.example",
        "firstName": mark,
        "lastName": "Buyer",
        "phone": "99999999999",
        "document": "99999999999",
    }
    connector_server.respond_with(*[500] * 20)  # notifications and hook deliveries fail: resendable
    for suffix, changes in [
        ("held", {"marketplacePaymentValue": HELD}),
        ("bulk", {"marketplacePaymentValue": HELD}),
        ("ready", {"marketplaceOrderStatus": "approved"}),
        ("rejected", {"items": [{"id": "404", "price": 975, "quantity": 1}]}),
    ]:
        connector_client.place(
            order_body(marketplaceOrderId=f"{mark}{suffix}", clientProfileData=customer, **changes),
            an=account.name,
        )
    connector_server.respond_with()
    HookDelivery.objects.filter(account=account).update(state="failed")
    Notification.objects.filter(account=account).update(state="failed")
    with capture(execute=True):
        bulk.bulk_decision_start(
            user=people[Role.APPROVER],
            order_ids=[Order.objects.get(marketplace_order_id=f"{mark}bulk").pk],
            action=BulkDecision.Action.APPROVE,
        )
        export_start(
            user=people[Role.OWNER],
            model_admin=admin.site.get_model_admin(Order),
            query="",
            accounts=[account.pk],
        )
    return people


@dataclass
class Persona:
    user: object
    forbidden: tuple[str, ...]  # the marks of the accounts the user is not in


@dataclass
class World:
    victim: Account  # an account none of the personas is in
    personas: dict[str, Persona] = field(default_factory=dict)


ACME, GLOBEX, UMBRELLA = "zqacme", "zqglobex", "zqumbrella"


@pytest.fixture
def world(db, client, django_capture_on_commit_callbacks, connector_server, eager_tasks, settings):
    from axes.models import AccessAttempt

    settings.HOOK_RETRY_BASE_SECONDS = 3600
    seeded = {}
    for mark, zone, full in [
        (ACME, "Asia/Tokyo", True),
        (GLOBEX, "America/Sao_Paulo", False),
        (UMBRELLA, "UTC", True),
    ]:
        account = AccountFactory(name=mark, time_zone=zone)
        seeded[mark] = seed(
            account,
            mark,
            client=client,
            capture=django_capture_on_commit_callbacks,
            endpoint=connector_server.url,
            connector_server=connector_server,
            full=full,
        )
    AccessAttempt.objects.create(
        username=f"owner@{UMBRELLA}.example", ip_address="203.0.113.9", failures_since_start=9, user_agent="x"
    )
    several = UserFactory(email="several@example.com")
    membership_set(user=several, account=Account.objects.get(name=ACME), role=Role.APPROVER)
    membership_set(user=several, account=Account.objects.get(name=GLOBEX), role=Role.VIEWER)
    client.logout()
    world = World(victim=Account.objects.get(name=UMBRELLA))
    for role in Role.values:
        world.personas[f"acme {role}"] = Persona(seeded[ACME][role], (GLOBEX, UMBRELLA))
    world.personas["user of acme and globex"] = Persona(several, (UMBRELLA,))
    world.personas["owner of globex"] = Persona(seeded[GLOBEX][Role.OWNER], (ACME, UMBRELLA))
    world.personas["superuser"] = Persona(UserFactory(email="root@example.com", is_superuser=True), ())
    return world


# The URLs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str
    parameters: tuple[str, ...]  # keyword parameters, or "0", "1" … for positional ones
    model_admin: object = None


def admin_patterns() -> list[Pattern]:
    """Every named URL of the admin, from the URL resolver, with the ModelAdmin it belongs to."""
    (site,) = [entry for entry in get_resolver().url_patterns if getattr(entry, "namespace", None) == "admin"]
    by_prefix = {
        f"{model._meta.app_label}/{model._meta.model_name}/": model_admin
        for model, model_admin in admin.site._registry.items()
    }
    found = []

    def walk(entries, model_admin):
        for entry in entries:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, by_prefix.get(str(entry.pattern), model_admin))
            elif entry.name:
                regex = entry.pattern.regex
                named = tuple(regex.groupindex)
                positional = tuple(str(index) for index in range(regex.groups - len(named)))
                found.append(Pattern(entry.name, named + positional, model_admin))

    walk(site.url_patterns, None)
    return found


def fake_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def own_row(model_admin, user):
    if not model_admin.model._meta.managed:
        return None
    return model_admin.get_queryset(fake_request(user)).order_by("pk").first()


def victim_row(model_admin, victim: Account):
    """A row of the victim's account that the model's admin lists."""
    model = model_admin.model
    if not model._meta.managed:
        return None
    if model is Account:
        return victim
    if model is Export:
        return Export.objects.filter(user__memberships__account=victim).first()
    path = getattr(model_admin, "account_path", None)
    if path is None:
        if hasattr(model, "memberships"):  # the user model
            return model._default_manager.filter(memberships__account=victim).first()
        return model._default_manager.order_by("pk").first()
    return model._default_manager.filter(**{path: victim}).order_by("pk").first()


def pks(*rows) -> list[str]:
    return list(dict.fromkeys(str(row.pk) for row in rows if row is not None))


BAD_IDS = ["abc", HUGE, "-1"]


def parameter_values(pattern: Pattern, parameter: str, persona: Persona, victim: Account) -> list[str]:
    """The user's own row and the victim's, for one parameter of the pattern."""
    model_admin = pattern.model_admin
    if pattern.name == "view_on_site":
        orders = Order.objects.order_by("pk")
        if parameter == "content_type_id":
            return [str(ContentType.objects.get_for_model(Order).pk)]
        return pks(orders.exclude(account=victim).first(), orders.filter(account=victim).first())
    if parameter in ("object_id", "id", "0"):
        theirs = victim_row(model_admin, victim)
        if theirs is None and model_admin.model._meta.managed and hasattr(model_admin, "account_path"):
            raise AssertionError(f"No {model_admin.opts.verbose_name} in the victim's account: seed one")
        return pks(own_row(model_admin, persona.user), theirs)
    if parameter == "1":  # a version in a row's history
        history = model_admin.model.history.order_by("pk")
        return [str(version.history_id) for version in (history.first(), history.last())]
    if parameter == "account_id":
        return pks(accounts_for(user=persona.user).first(), victim)
    if parameter == "export_id":
        return pks(Export.objects.filter(user=persona.user).first(), victim_row(model_admin, victim))
    if parameter == "job_id":
        return pks(
            BulkDecision.objects.filter(user=persona.user).first(),
            BulkDecision.objects.filter(account=victim).first(),
        )
    if parameter == "revision_id":  # a version of an account's rule
        return pks(
            RuleRevision.objects.filter(account__in=accounts_for(user=persona.user)).first(),
            RuleRevision.objects.filter(account=victim).first(),
        )
    if parameter == "app_label":
        return sorted({model._meta.app_label for model in admin.site._registry})
    raise AssertionError(
        f"The crawl does not know what to put in {parameter!r} of admin:{pattern.name}: teach parameter_values()."
    )


def url_of(pattern: Pattern, combo: dict) -> str | None:
    positional = [combo[key] for key in sorted(combo) if key.isdigit()]
    named = {key: value for key, value in combo.items() if not key.isdigit()}
    try:
        return reverse(f"admin:{pattern.name}", args=positional or None, kwargs=named or None)
    except NoReverseMatch:
        return None  # a value the converter refuses (a letter in an <int:…>): no such URL


def urls_of(pattern: Pattern, persona: Persona, victim: Account) -> tuple[list[str], list[str]]:
    """The pattern's URLs with the user's rows and the victim's; and with a bad value in each parameter."""
    values = {
        parameter: parameter_values(pattern, parameter, persona, victim) or ["1"]  # no such row: any id
        for parameter in pattern.parameters
    }
    combos = [{}]
    for parameter, choices in values.items():
        combos = [{**combo, parameter: choice} for combo in combos for choice in choices]
    first = combos[0]
    bad = [
        {**first, parameter: value} for parameter in values if parameter != "app_label" for value in BAD_IDS
    ]
    rows = [url for combo in combos if (url := url_of(pattern, combo))]
    return rows, [url for combo in bad if (url := url_of(pattern, combo))]


# The hostile query strings ------------------------------------------------------------------------

GENERAL = [
    f"p={HUGE}",
    "p=-1",
    "p=abc",
    "p=" + "9" * 5000,
    "nope=1",
    "o=99",
    "q=" + "x" * 5000,
    "q=%00",
    "q=%25_%5C%27%22",
    "all=",
    "e=1",
    "_to_field=nope",
    "_facets=1",
    "id=abc",
    f"id__gt={HUGE}",
    f"id__in=1,{HUGE}",
    "pk__range=abc",
    "account=abc",
    f"account={HUGE}",
]
FILTER_VALUES = ["abc", HUGE, "-1"]
# What the views with a form of their own read from the query string.
VIEW_QUERIES = {
    "insight_dashboard_changelist": [
        "period=custom&first=9999-12-01&last=9999-12-31",
        "period=custom&first=0001-01-01&last=0001-01-02",
        "period=custom&first=abc&last=",
        f"period={HUGE}",
        "period=-5",
        "account=abc",
        f"account={HUGE}",
    ],
    "authorization_pricedivergencerule_editor": ["at=1e999999", "at=NaN", "at=-0.000000000001"],
}


def date_queries(name: str) -> list[str]:
    return [
        f"{name}__year=0",
        f"{name}__year=-1",
        f"{name}__year=9999",
        f"{name}__year=10000",
        f"{name}__year=1",
        f"{name}__year=2024&{name}__month=13",
        f"{name}__year=2024&{name}__month=2&{name}__day=32",
        f"{name}__year=9999&{name}__month=12",
        f"{name}__year=9999&{name}__month=12&{name}__day=31",
        f"{name}__year=1&{name}__month=1&{name}__day=1",
        f"{name}__month=13",
        f"{name}__day=32",
        f"{name}__gte=9999-12-31",
        f"{name}__gte=9999-12-31T23:59:59",
        f"{name}__lt=0000-01-01",
        f"{name}=0000-01-01",
        f"{name}__gte=0001-01-01",
        f"{name}__lt=10000-01-01",
        f"{name}__date=9999-12-31",
        f"{name}__year__gt=99999",
        f"{name}__range=0001-01-01,9999-12-31",
    ]


def filter_parameters(model_admin, user) -> list[str]:
    """The query parameters of the list's filters, as the user's list offers them."""
    names = []
    for entry in model_admin.get_list_filter(fake_request(user)):
        if isinstance(entry, type) and hasattr(entry, "parameter_name"):
            names.append(entry.parameter_name)
        elif isinstance(entry, type) and hasattr(entry, "parameters"):
            names.extend(entry.parameters)
        else:
            path = entry[0] if isinstance(entry, (tuple, list)) else entry
            names.extend([f"{path}__exact", f"{path}__id__exact", f"{path}__isnull"])
    return names


def list_queries(model_admin, user) -> list[str]:
    """The list's hostile query strings: the general ones, its dates', its filters'.

    Every hostile date on the date drill-down, a share of them on each other date field (all of
    them among the fields), and two bad values on each filter.
    """
    model = model_admin.model
    queries = list(GENERAL)
    hierarchy = model_admin.date_hierarchy
    if hierarchy:
        queries.extend(date_queries(hierarchy))
    dates = [field.name for field in model._meta.get_fields() if isinstance(field, models.DateField)]
    for index, name in enumerate(sorted(set(dates) - {hierarchy})):
        queries.extend(date_queries(name)[index % 4 :: 4])
    texts = [field.name for field in model._meta.get_fields() if isinstance(field, models.CharField)]
    if texts:
        queries.extend([f"{texts[0]}__regex=(", f"{texts[0]}__iregex=["])
    for index, name in enumerate(filter_parameters(model_admin, user)):
        queries.extend(f"{name}={value}" for value in (FILTER_VALUES * 2)[index % 3 :][:2])
    return queries


# Asking ------------------------------------------------------------------------------------------


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return (content.decode("utf-8", "replace") + " " + response.get("Location", "")).lower()


HOSTILE_POST = {
    "at": "1e999999",
    "replay_days": HUGE,
    "note": "x",
    "reason_code": "nope",
    "invoice_number": "",
    "ignore_divergence": "1",
    "based_on": HUGE,
    "form-TOTAL_FORMS": HUGE,
    "form-INITIAL_FORMS": "abc",
}
EDITORS = ("acme owner", "superuser")  # who posts every add and change form, with values it cannot hold


def hostile_form(model) -> dict:
    """A value for each field of the model that its form cannot take, by the field's type."""
    values = {}
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, models.DateTimeField):
            value = "9999-12-31 23:59:59"
        elif isinstance(model_field, models.DateField):
            value = "0000-01-01"
        elif isinstance(model_field, (models.DecimalField, models.FloatField)):
            value = "1e999999"
        elif isinstance(model_field, (models.IntegerField, models.ForeignKey)):
            value = HUGE
        elif isinstance(model_field, models.JSONField):
            value = "{"
        else:
            value = "x" * ((getattr(model_field, "max_length", None) or 100) + 1)
        values[model_field.name] = value
    return values


EXPORT_QUERIES = ["", "created_at__year=9999", f"p={HUGE}", "decided_at__year=10000", "q=%00", "account=abc"]


@dataclass
class Request:
    who: str
    method: str
    url: str
    data: dict | None = None


def plan(world: World) -> list[Request]:
    """Every request of the crawl, each user's own and the victim's rows for all, the rest shared out.

    Every user asks every URL with their own rows and the victim's. The bad ids of a URL, and its
    hostile query strings, are shared among the users who may see it, round-robin: each is asked
    once, by someone the page answers.
    """
    requests = []
    turn = 0
    for pattern in admin_patterns():
        viewers = [
            who
            for who, persona in world.personas.items()
            if pattern.model_admin is None
            or pattern.model_admin.has_view_or_change_permission(fake_request(persona.user))
        ] or list(world.personas)
        shared = []
        for who, persona in world.personas.items():
            rows, bad = urls_of(pattern, persona, world.victim)
            assert rows or bad, f"admin:{pattern.name} has no URL to ask"
            requests += [Request(who, "get", url) for url in rows]
            if who == viewers[0]:
                shared += [("get", url) for url in bad]
                base = (rows or bad)[0]
                if pattern.name.endswith(("_changelist", "_export")) and pattern.model_admin is not None:
                    hostile = list_queries(pattern.model_admin, persona.user)
                else:
                    hostile = [
                        f"p={HUGE}&nope=1",
                        f"_changelist_filters=created_at__year%3D9999%26p%3D{HUGE}",
                    ]
                hostile += VIEW_QUERIES.get(pattern.name, [])
                shared += [("get", f"{base}?{query}") for query in hostile]
                if pattern.model_admin is not None and not pattern.name.endswith(STANDARD):
                    # The views that act on a POST, with values none of them can use.
                    shared += [("post", f"{url}?fragment=1") for url in rows + bad]
            if who in EDITORS and pattern.model_admin and pattern.name.endswith(("_add", "_change")) and rows:
                form = hostile_form(pattern.model_admin.model) | HOSTILE_POST
                requests.append(Request(who, "post", rows[0], form))
        for index, (method, url) in enumerate(shared):
            who = viewers[(turn + index) % len(viewers)]
            requests.append(Request(who, method, url, HOSTILE_POST if method == "post" else None))
        turn += len(shared)
    exportable = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if getattr(model_admin, "export_table", None) is not None
    ]
    start = reverse("admin:exports_export_start")
    for who in world.personas:
        for label in exportable:
            requests += [
                Request(who, "post", start, {"list": label, "query": query}) for query in EXPORT_QUERIES
            ]
    return requests


def crawl(client, world: World, requests: list[Request]) -> list[str]:
    """Ask every request as its user; return what went wrong."""
    client.raise_request_exception = False  # a 500 is an answer to count, not an error of the test
    problems = []
    for who, persona in world.personas.items():
        client.force_login(persona.user)
        for request in (request for request in requests if request.who == who):
            # Each request in a savepoint rolled back: a query the database refused must not end
            # the test's transaction, and every user finds the rows as they were seeded.
            with transaction.atomic():
                response = getattr(client, request.method)(request.url, request.data or {})
                transaction.set_rollback(True)
            asked = f"{who}: {request.method.upper()} {request.url[:160]}"
            if response.status_code >= 500:
                problems.append(f"{asked} answered {response.status_code}")
            leaked = [mark for mark in persona.forbidden if mark in body_of(response)]
            if leaked:
                problems.append(f"{asked} shows rows of {', '.join(leaked)}")
    return problems


def test_no_admin_url_answers_500_or_shows_another_accounts_rows(client, world):
    # The control: the victim's own people find its mark where the crawl looks for it.
    people = {membership.role: membership.user for membership in world.victim.memberships.all()}
    export = Export.objects.get(user=people[Role.OWNER])
    job = BulkDecision.objects.get(user=people[Role.APPROVER])
    for role, url in [
        (Role.OWNER, "/admin/orders/order/"),
        (Role.OWNER, "/admin/orders/order/export.csv"),
        (Role.OWNER, reverse("admin:exports_export_download", args=[export.pk])),
        (Role.OWNER, "/admin/accounts/membership/"),
        (Role.APPROVER, reverse("admin:orders_waitingorder_bulk_json", args=[job.pk])),
    ]:
        client.force_login(people[role])
        assert UMBRELLA in body_of(client.get(url)), url
    requests = plan(world)
    asked = {resolve(urlsplit(request.url).path).url_name for request in requests}
    assert {pattern.name for pattern in admin_patterns()} <= asked
    problems = crawl(client, world, requests)
    assert not problems, f"{len(problems)} of {len(requests)} requests went wrong:\n" + "\n".join(problems)


def test_the_crawl_knows_every_admin_url_and_every_date_of_a_list(db):
    """The control: every registered model's list is among the URLs, each with its dates."""
    patterns = {pattern.name: pattern for pattern in admin_patterns()}
    for model in admin.site._registry:
        assert f"{model._meta.app_label}_{model._meta.model_name}_changelist" in patterns
    assert {"index", "app_list", "orders_order_export", "authorization_pricedivergencerule_replay"} <= set(
        patterns
    )
    root = UserFactory(email="root@example.com", is_superuser=True)
    queries = list_queries(patterns["orders_order_changelist"].model_admin, root)
    assert "created_at__year=9999&created_at__month=12" in queries
    assert any(query.startswith("reservation_expires_at__") for query in queries)
    assert any(query.startswith("status__exact=") for query in queries)


# What a user sees ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=9999",
        "created_at__year=10000",
        "created_at__year=9999&created_at__month=12&created_at__day=31",
        "created_at__year__gt=99999",
        f"p={HUGE}",
        "status__exact=waiting-for-manual-authorization&created_at__year=0",
    ],
)
def test_a_list_refused_its_query_opens_unfiltered_and_says_why(client, held_order, owner, query):
    client.force_login(owner)

    response = client.get(f"/admin/orders/order/?{query}", follow=True)

    assert response.redirect_chain == [("/admin/orders/order/?e=1", 302)]
    page = response.content.decode()
    assert "could not be filtered, searched or paged as asked" in page
    assert held_order.main_order_id in page  # every row, as without the filter


@pytest.mark.parametrize(
    "url", ["/admin/orders/waitingorder/", "/admin/insight/decisionrecord/", "/admin/orders/order/"]
)
def test_a_page_past_any_list_is_refused_by_the_lists_that_do_not_count(client, held_order, viewer, url):
    client.force_login(viewer)

    response = client.get(f"{url}?p={HUGE}")

    assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")
    for page in ("-1", "abc"):  # read as the first page, as Django reads them
        assert held_order.main_order_id in client.get(f"{url}?p={page}").content.decode()


def test_a_history_page_past_the_end_opens_the_first(client, held_order, owner):
    """A row's history pages its entries with the list's paginator, which does not count them."""
    client.force_login(owner)
    LogEntry.objects.log_actions(
        user_id=owner.pk, queryset=[held_order], action_flag=ADDITION, change_message="Looked at."
    )

    response = client.get(f"/admin/orders/order/{held_order.pk}/history/?p={HUGE}")

    assert response.status_code == 200
    assert "Looked at." in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/export.csv",
        "/admin/orders/waitingorder/export.csv",
        "/admin/insight/decisionrecord/export.csv",
        "/admin/catalog/sku/export/",
    ],
)
def test_an_export_refused_its_query_sends_back_to_the_list(client, held_order, viewer, url):
    client.force_login(viewer)
    changelist = url.rsplit("/", 1)[0] + "/" if url.endswith(".csv") else url.removesuffix("export/")

    for query in ("created_at__year=10000", "updated_at__year=0", "nope=1", "account=abc"):
        response = client.get(f"{url}?{query}")
        assert (response.status_code, response["Location"]) == (302, f"{changelist}?e=1"), query


def test_a_lookup_the_database_parses_is_refused(client, held_order, owner):
    client.force_login(owner)

    assert client.get("/admin/orders/order/?main_order_id__regex=(").status_code == 400
    assert client.get("/admin/catalog/sku/?name__iregex=[").status_code == 400


def test_a_history_address_that_is_no_number_is_not_found(client, shop, owner):
    client.force_login(owner)
    sku, connector_id = shop.sku, shop.connector.pk

    assert client.get("/admin/catalog/sku/abc/history/1/").status_code == 404
    assert client.get(f"/admin/catalog/sku/{sku.pk}/history/abc/").status_code == 404
    assert client.get("/admin/connectors/connector/abc/history/").status_code == 404
    assert client.get(f"/admin/connectors/connector/{connector_id}/history/abc/").status_code == 404
    assert client.get(f"/admin/connectors/connector/{connector_id}/history/").status_code == 200


def test_the_lists_of_admins_the_app_did_not_write_are_guarded_too(client, db):
    client.force_login(UserFactory(email="root@example.com", is_superuser=True))

    for url in (
        "/admin/auth/user/?date_joined__year=0",
        "/admin/axes/accessattempt/?attempt_time__year=9999",
    ):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, url.split("?")[0] + "?e=1")


def test_a_dashboard_period_at_the_calendars_end_is_refused_with_a_message(client, held_order, owner):
    held_order.account.time_zone = "Asia/Tokyo"
    held_order.account.save()
    client.force_login(owner)

    response = client.get("/admin/insight/dashboard/?period=custom&first=9999-12-01&last=9999-12-31")

    page = response.content.decode()
    assert "Choose days from Jan. 1, 2000 to Dec. 31, 2999." in page
    assert "Showing the last 30 days." in page
