"""Benchmark "queue": the manual-authorization queue, an order page and the seller API at scale.

Two accounts share one database: a big one, 1,000,000 orders of which 100,000 wait for manual
authorization, and a small one, 1,000 of which 100 wait. Every case is requested through
Django's test client, logged in as an approver of each account, alternately for the small
and the big account. Target: the big account's page at most 1.5 times slower than the small
one's (ratio of medians), with the same number of queries.
"""

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from orders.models import Order
from orders.statuses import OrderStatus

from .harness import Context
from .harness_report import Check, Report, Row, ratio_at_most
from .harness_timing import side_by_side
from .seed import Seeded, seed_account

NAME = "queue"
SMALL = (1_000, 100)
BIG = (1_000_000, 100_000)
SMOKE_SMALL = (30, 10)
SMOKE_BIG = (500, 400)  # four pages of waiting orders: the deep page is page 2
TARGET = 1.5
WAITING = OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION


class BenchmarkError(Exception):
    """A page did not answer as it should: the benchmark cannot measure it."""


@dataclass
class Side:
    """One account as its approver sees it."""

    seeded: Seeded
    client: Client

    @property
    def name(self) -> str:
        return self.seeded.account.name

    def waiting(self, *, newest_first: bool) -> "OrderList":
        orders = Order.objects.filter(account=self.seeded.account, status=WAITING)
        return OrderList(orders.order_by(*(("-created_at", "-pk") if newest_first else ("created_at", "pk"))))

    def all_orders(self) -> "OrderList":
        return OrderList(Order.objects.filter(account=self.seeded.account).order_by("-created_at", "-pk"))

    def mine(self) -> "OrderList":
        """The waiting orders the approver may decide, oldest first: all of them (see bench.seed)."""
        return self.waiting(newest_first=False)

    def get(self, url: str):
        response = self.client.get(url)
        if response.status_code != 200:
            raise BenchmarkError(f"{url} answered {response.status_code} for {self.name}")
        return response


@dataclass
class OrderList:
    queryset: object

    def at(self, offset: int) -> Order:
        return self.queryset[offset]


@dataclass(frozen=True)
class Page:
    """What a case requests for one side, and the mainOrderId the answer must show."""

    url: str
    shows: str


@dataclass(frozen=True)
class Case:
    label: str
    page: Callable[[Side], Page]


def admin_url(name: str) -> str | None:
    try:
        return reverse(f"admin:{name}")
    except NoReverseMatch:
        return None


def middle_page(side: Side, first_page_url: str, per_page: int, orders: OrderList) -> Page:
    """The page halfway through the account's waiting orders (page 1 of a short list)."""
    number = max(1, math.ceil(side.seeded.waiting / per_page) // 2)
    separator = "&" if "?" in first_page_url else "?"
    return Page(f"{first_page_url}{separator}p={number}", orders.at((number - 1) * per_page).main_order_id)


def cases() -> list[Case]:
    """Every page measured; the queue's own pages once the queue is in the admin."""
    found = []
    queue = admin_url("orders_waitingorder_changelist")
    if queue:
        from orders.models import WaitingOrder

        queue_per_page = admin.site.get_model_admin(WaitingOrder).list_per_page
        found += [
            Case(
                "queue, first page",
                lambda side: Page(queue, side.waiting(newest_first=False).at(0).main_order_id),
            ),
            Case(
                "queue, deep page (the middle)",
                lambda side: middle_page(side, queue, queue_per_page, side.waiting(newest_first=False)),
            ),
            Case(
                "queue, needs my decision",
                lambda side: Page(f"{queue}?mine=yes", side.mine().at(0).main_order_id),
            ),
            Case(
                "admin home, with the queue's counts",
                lambda side: Page(reverse("admin:index"), f"{queue}?mine=yes"),
            ),
        ]
    orders = admin_url("orders_order_changelist")
    orders_per_page = admin.site.get_model_admin(Order).list_per_page
    filtered = f"{orders}?status__exact={WAITING}"
    found += [
        Case(
            "order list, waiting, first page",
            lambda side: Page(filtered, side.waiting(newest_first=True).at(0).main_order_id),
        ),
        Case(
            "order list, waiting, deep page (the middle)",
            lambda side: middle_page(side, filtered, orders_per_page, side.waiting(newest_first=True)),
        ),
        Case("order page of a waiting order", order_page),
        Case(
            "API order list",
            lambda side: Page(f"/api/orders?an={side.name}", side.all_orders().at(0).main_order_id),
        ),
        Case(
            "API order list, waiting",
            lambda side: Page(
                f"/api/orders?an={side.name}&status={WAITING}",
                side.waiting(newest_first=True).at(0).main_order_id,
            ),
        ),
        Case("API order list, middle cursor", api_middle_page),
    ]
    return found


def order_page(side: Side) -> Page:
    """The order page of the waiting order in the middle of the queue."""
    order = side.waiting(newest_first=False).at(side.seeded.waiting // 2)
    return Page(reverse("admin:orders_order_change", args=[order.pk]), order.main_order_id)


def api_middle_page(side: Side) -> Page:
    """The page of the seller API's list that starts halfway through the account's orders.

    Built as the list's own `next` links are: a cursor at the position of the middle order.
    """
    from rest_framework.pagination import Cursor

    from orders.api import OrderCursorPagination

    middle = side.seeded.orders // 2
    at = side.all_orders().at(middle)
    pagination = OrderCursorPagination()
    pagination.base_url = f"/api/orders?an={side.name}"
    url = pagination.encode_cursor(Cursor(offset=0, reverse=False, position=str(at.created_at)))
    return Page(url, side.all_orders().at(middle + 1).main_order_id)


def sides(context: Context) -> tuple[Side, Side]:
    if context.smoke:
        small, big = SMOKE_SMALL, SMOKE_BIG
    else:
        small, big = SMALL, (max(int(BIG[0] * context.scale), 1), max(int(BIG[1] * context.scale), 1))
    seeded = [
        seed_account(orders=orders, waiting=waiting, progress=context.progress)
        for orders, waiting in (small, big)
    ]
    made = []
    for one in seeded:
        client = Client()
        client.force_login(one.approver)
        made.append(Side(one, client))
    return made[0], made[1]


def run(context: Context) -> Report:
    small, big = sides(context)
    report = Report(
        name=NAME,
        title="the manual-authorization queue at scale",
        description=(
            f"Each case is requested as an approver on every manual band of a small account ({small.seeded.orders:,} orders, "
            f"{small.seeded.waiting:,} waiting) and of a big one ({big.seeded.orders:,} orders, "
            f"{big.seeded.waiting:,} waiting) in the same database, through Django's test client, "
            "alternately; times are medians of the requests. Target: the big account's page at most "
            f"{TARGET:g} times slower, with the same number of queries."
        ),
        baseline_label=f"{small.seeded.orders:,} / {small.seeded.waiting:,}",
        measured_label=f"{big.seeded.orders:,} / {big.seeded.waiting:,}",
    )
    for side in (small, big):
        how = (
            "reused from the kept database"
            if side.seeded.reused
            else f"seeded in {side.seeded.seconds:.0f} s"
        )
        report.notes.append(f"{side.name}: {how}.")
    if admin_url("orders_waitingorder_changelist") is None:
        report.notes.append(
            "The queue page (/admin/orders/waitingorder/) is not in the admin yet: not measured; the "
            "order list filtered by status stands in for it."
        )
    report.notes.append(
        f"{context.repetitions} requests per case and account, after {context.warmup} warm-up rounds."
    )
    for case in cases():
        context.progress(f"measuring {case.label}")
        report.rows.append(measure(case, small, big, context, report))
    return report


def measure(case: Case, small: Side, big: Side, context: Context, report: Report) -> Row:
    pages = {side.name: case.page(side) for side in (small, big)}
    queries = {}
    if not context.smoke:  # once first: what a process caches on its first request is not counted
        for side in (small, big):
            side.get(pages[side.name].url)
    for side in (small, big):
        page = pages[side.name]
        with CaptureQueriesContext(connection) as captured:
            response = side.get(page.url)
        shown = html.unescape(response.content.decode())
        if page.shows not in shown:
            raise BenchmarkError(f"{page.url} does not show {page.shows} to the approver of {side.name}")
        queries[side.name] = captured.captured_queries
    small_times, big_times = side_by_side(
        lambda: small.get(pages[small.name].url),
        lambda: big.get(pages[big.name].url),
        repetitions=context.repetitions,
        warmup=context.warmup,
    )
    small_queries, big_queries = len(queries[small.name]), len(queries[big.name])
    counts = sum(1 for query in queries[big.name] if re.search(r"\bCOUNT\(", query["sql"], re.IGNORECASE))
    row = Row(
        label=case.label,
        baseline=small_times.median * 1000,
        measured=big_times.median * 1000,
        unit="ms",
        target=ratio_at_most(TARGET),
        checks=(Check(f"queries {small_queries} = {big_queries}", small_queries == big_queries),),
        detail=f"p99 {small_times.p99 * 1000:.1f} / {big_times.p99 * 1000:.1f} ms"
        + (f"; {counts} COUNT" if counts else ""),
    )
    if not context.smoke and (context.explain or not row.passed) and connection.vendor == "postgresql":
        report.diagnostics += explain_slowest(case.label, pages[big.name].url, queries[big.name])
    return row


def explain_slowest(label: str, url: str, queries: list[dict], count: int = 3) -> list[str]:
    """EXPLAIN ANALYZE the slowest queries one request of the big account made."""
    lines = [f"== {label}: {url}"]
    selects = [query for query in queries if query["sql"].lstrip().upper().startswith("SELECT")]
    for query in sorted(selects, key=lambda query: float(query["time"]), reverse=True)[:count]:
        lines.append(f"-- {float(query['time']) * 1000:.1f} ms: {shorten(query['sql'], 400)}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            lines.extend(f"   {row[0]}" for row in cursor.fetchall())
    return lines


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
