"""Stock held for orders: reserved, given back once (canceled, or its lockTTL ran out), reserved again, sold with the invoice.

A service here that takes an order locks it first (`orders.locking`); one named with a leading
underscore is for a caller that holds the order's lock already.
"""

from collections.abc import Callable
from functools import cache

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from catalog.models import Stock
from kit.errors import DomainError
from kit.together import send

from .events import SYSTEM, Actor, order_event_add
from .locking import order_lock, stocks_lock
from .models import Order, OrderEvent
from .statuses import RESERVATION_TTL_STATUSES


class OutOfStock(DomainError):
    code = "out_of_stock"

    def __init__(self, sku_id: str):
        self.sku_id = sku_id
        super().__init__(gettext("No stock left for SKU %(sku)s.") % {"sku": sku_id})


def stock_reserve(*, stock_id: int, quantity: int) -> bool:
    """Reserve `quantity` units of a stock row, never beyond what is on hand; False when short."""
    short = []
    stocks_reserve({stock_id: quantity}, short=lambda: short.append(stock_id))
    return not short


def stocks_reserve(quantities: dict[int, int], *, short: Callable[[], None]) -> None:
    """Reserve units of several stock rows at once ({stock id: units}), all or none of them, in
    one statement; call `short()` when any row is short, which raises for the caller's
    transaction to take it back. Within a `kit.together` block the statement goes with the
    block's others and `short()` is called at its end; elsewhere at once."""
    if not quantities:
        return
    if len(quantities) > 1:
        # One UPDATE locks its rows in the order it finds them: take them by key first.
        stocks_lock(quantities)

    def counted(updated: int) -> None:
        if updated != len(quantities):
            short()

    if connection.vendor == "postgresql":
        send(
            _reserve_sql(),
            [list(quantities), list(quantities.values())],
            then=lambda cursor: counted(cursor.rowcount),
        )
        return
    enough = Q()
    for stock_id, quantity in quantities.items():
        enough |= Q(pk=stock_id, quantity__gte=F("reserved") + quantity)
    added = Case(*(When(pk=stock_id, then=Value(quantity)) for stock_id, quantity in quantities.items()))
    counted(Stock.objects.filter(enough).update(reserved=F("reserved") + added))


@cache
def _reserve_sql() -> str:
    """`stocks_reserve`'s statement on PostgreSQL, built once: every order of a batch reserves
    through it, and the ORM's CASE for it took longer to build than to run."""
    quote, field = connection.ops.quote_name, Stock._meta.get_field
    pk, quantity, reserved = (quote(field(name).column) for name in ("id", "quantity", "reserved"))
    return (
        f"UPDATE {quote(Stock._meta.db_table)} AS s SET {reserved} = s.{reserved} + u.units "
        f"FROM UNNEST(%b::bigint[], %b::integer[]) AS u(id, units) "
        f"WHERE s.{pk} = u.id AND s.{quantity} >= s.{reserved} + u.units"
    )


def stock_unreserve(*, stock_id: int, quantity: int) -> None:
    Stock.objects.filter(pk=stock_id, reserved__gte=quantity).update(reserved=F("reserved") - quantity)


@transaction.atomic
def reservation_release(*, order: Order, actor: Actor, note: str, expired: bool = False) -> bool:
    """Give the order's reserved units back to stock, once; return False when nothing was held."""
    order_lock(order)
    return _reservation_release(order=order, actor=actor, note=note, expired=expired)


def _reservation_release(*, order: Order, actor: Actor, note: str, expired: bool = False) -> bool:
    now = timezone.now()
    claimed = Order.objects.filter(pk=order.pk, reservation_released_at__isnull=True).update(
        reservation_released_at=now, reservation_expired=expired
    )
    if not claimed:
        return False
    order.reservation_released_at, order.reservation_expired = now, expired
    items = list(order.items.filter(reserved_quantity__gt=0, stock__isnull=False).order_by("stock_id"))
    for item in items:
        stock_unreserve(stock_id=item.stock_id, quantity=item.reserved_quantity)
    order.items.filter(pk__in=[item.pk for item in items]).update(reserved_quantity=0)
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.RESERVATION,
        actor=actor,
        note=note,
        data={"released": [{"sku": item.sku_id, "quantity": item.reserved_quantity} for item in items]},
    )
    return True


@transaction.atomic
def reservation_renew(*, order: Order, actor: Actor, expires_at) -> None:
    """Reserve the order's items again after its reservation ran out; raise `OutOfStock` naming the SKU."""
    order_lock(order)
    items = list(order.items.select_related("stock").order_by("stock_id"))
    for item in items:
        if item.stock_id is None:
            raise OutOfStock(item.sku_id)
        if not stock_reserve(stock_id=item.stock_id, quantity=item.quantity):
            raise OutOfStock(item.sku_id)
        item.reserved_quantity = item.quantity
        item.save(update_fields=["reserved_quantity"])
    Order.objects.filter(pk=order.pk).update(
        reservation_released_at=None, reservation_expired=False, reservation_expires_at=expires_at
    )
    order.reservation_released_at, order.reservation_expired, order.reservation_expires_at = (
        None,
        False,
        expires_at,
    )
    order_event_add(order=order, kind=OrderEvent.Kind.RESERVATION, actor=actor, note="Stock reserved again.")


def reservations_expire(*, now=None, limit: int = 500) -> int:
    """Release reservations whose lockTTL ran out on orders still waiting; return how many."""
    now = now or timezone.now()
    due = Order.objects.filter(
        status__in=RESERVATION_TTL_STATUSES,
        reservation_released_at__isnull=True,
        reservation_expires_at__lte=now,
    ).order_by("reservation_expires_at")[:limit]
    return sum(reservation_expire(order=order, now=now) for order in due)


@transaction.atomic
def reservation_expire(*, order: Order, now) -> bool:
    """Release the order's reservation if its lockTTL has run out while it waits; False otherwise.

    Judged under the order's lock: an approval may have renewed the reservation, or moved the
    order on, since the expiry found it due.
    """
    order_lock(order)
    due = (
        order.status in RESERVATION_TTL_STATUSES
        and order.reservation_released_at is None
        and order.reservation_expires_at is not None
        and order.reservation_expires_at <= now
    )
    if not due:
        return False
    return _reservation_release(
        order=order, actor=SYSTEM, note="The stock reservation ran out (lockTTL).", expired=True
    )


def _reservation_sell(*, order: Order, actor: Actor) -> bool:
    """Take the order's reserved units out of stock for good, once; return False when nothing was held."""
    now = timezone.now()
    claimed = Order.objects.filter(pk=order.pk, reservation_released_at__isnull=True).update(
        reservation_released_at=now
    )
    if not claimed:
        return False
    order.reservation_released_at = now
    items = list(order.items.filter(reserved_quantity__gt=0, stock__isnull=False).order_by("stock_id"))
    for item in items:
        Stock.objects.filter(
            pk=item.stock_id, reserved__gte=item.reserved_quantity, quantity__gte=item.reserved_quantity
        ).update(
            quantity=F("quantity") - item.reserved_quantity, reserved=F("reserved") - item.reserved_quantity
        )
    order.items.filter(pk__in=[item.pk for item in items]).update(reserved_quantity=0)
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.RESERVATION,
        actor=actor,
        note="Reserved stock sold with the invoice.",
        data={"sold": [{"sku": item.sku_id, "quantity": item.reserved_quantity} for item in items]},
    )
    return True
