"""The seller a fault run loads, and the census of what became of its orders, on the run's own database.

Run by the fault tests in a process of the app's (`python -m tests.faults.world seed|census …`
with the run's DATABASE_URL): the test process itself stays on the suite's database.

    seed NAME ENDPOINT --scarce-units N   the account of `bench.seed.seed_shop`, its last SKU
                                          holding only N units; prints its connector's credentials
    census NAME                           prints what the account's submissions, orders,
                                          notifications and stock came to, as JSON
"""

import argparse
import json
import os
import sys
from collections import Counter


def seed(*, name: str, endpoint: str, scarce_units: int) -> dict:
    from bench.seed import SKUS, seed_shop
    from catalog.models import Stock

    shop = seed_shop(name=name, endpoint=endpoint)
    Stock.objects.filter(account=shop.account, sku__sku_id=str(SKUS)).update(quantity=scarce_units)
    credentials = shop.credentials[0]
    return {
        "account": shop.account.name,
        "app_key": credentials.app_key,
        "app_token": credentials.app_token,
        "skus": SKUS,
        "scarce_sku": str(SKUS),
    }


def census(*, name: str) -> dict:
    """What became of every submission of the account, and whether stock adds up."""
    from django.db.models import Count, Sum

    from catalog.models import Stock
    from connectors.models import Notification
    from orders.models import IntakeRecord, Order, OrderItem

    intakes = IntakeRecord.objects.filter(account__name=name)
    orders = Order.objects.filter(account__name=name)
    notifications = Notification.objects.filter(account__name=name)
    by_intake_and_code = (
        notifications.values("intake_id", "code").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    reserved_by_orders = dict(
        OrderItem.objects.filter(order__account__name=name, order__reservation_released_at__isnull=True)
        .values_list("stock_id")
        .annotate(units=Sum("reserved_quantity"))
    )
    stock = [
        {
            "sku": sku_id,
            "quantity": quantity,
            "reserved": reserved,
            "reserved_by_orders": reserved_by_orders.get(pk, 0),
        }
        for pk, sku_id, quantity, reserved in Stock.objects.filter(account__name=name)
        .order_by("sku__sku_id")
        .values_list("pk", "sku__sku_id", "quantity", "reserved")
    ]
    return {
        "intakes": intakes.count(),
        "intakes_by_status": dict(Counter(intakes.values_list("status", flat=True))),
        "intakes_by_code": dict(Counter(intakes.values_list("code", flat=True))),
        "marketplace_ids": sorted(intakes.values_list("marketplace_order_id", flat=True)),
        "marketplace_ids_submitted_twice": intakes.values("marketplace_order_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count(),
        # Submissions processed again after a claim was lost (a worker killed, the database restarted).
        "reclaimed_ids": sorted(
            intakes.filter(attempts__gt=1).values_list("marketplace_order_id", flat=True)
        ),
        "integrated_without_order": intakes.filter(status="integrated", order__isnull=True).count(),
        "orders": orders.count(),
        "orders_by_status": dict(Counter(orders.values_list("status", flat=True))),
        "orders_created_twice": orders.filter(events__kind="created")
        .annotate(n=Count("events"))
        .filter(n__gt=1)
        .count(),
        "notifications": notifications.count(),
        "notifications_by_state": dict(Counter(notifications.values_list("state", flat=True))),
        "notifications_by_code": dict(Counter(notifications.values_list("code", flat=True))),
        "notification_keys": {
            str(key): [order_id, code]
            for key, order_id, code in notifications.values_list(
                "idempotency_key", "marketplace_order_id", "code"
            )
        },
        "notified_twice_for_one_result": by_intake_and_code,
        "notification_attempts": notifications.aggregate(n=Sum("attempt_count"))["n"] or 0,
        "notifications_retried": notifications.filter(attempt_count__gt=1).count(),
        "stock": stock,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.world")
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("name")
    seeding.add_argument("endpoint")
    seeding.add_argument("--scarce-units", type=int, default=10)
    counting = commands.add_parser("census")
    counting.add_argument("name")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if options.command == "seed":
        result = seed(name=options.name, endpoint=options.endpoint, scarce_units=options.scarce_units)
    else:
        result = census(name=options.name)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
