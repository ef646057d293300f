"""What the benchmarks that load the running app share: a shop, its connector, the bare baseline.

    with stage("intake") as on:                  # an account notifying a ConnectorReceiver
        with web_server() as url:
            post_orders(on.real(url), ...)        # the order API, as the shop's connector
            post_orders(on.bare(url), ...)        # the bare endpoint of bench.baseline
        on.receiver.tally(...)

Each stage makes an account of its own (named after the benchmark and the time), so a database
kept between runs only gathers accounts; the broker's Redis database is emptied before and after.
"""

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

from connectors.notifications import notification_url
from orders.models import IntakeRecord, Order
from orders.statuses import IntakeStatus

from .baseline.models import Submission, table_create, table_drop
from .load import OrderBodies, OrderTarget
from .load_receiver import ConnectorReceiver
from .seed import Shop, seed_shop
from .servers import broker_flush

BARE_PATH = "/bench/baseline/orders"


@dataclass
class Stage:
    receiver: ConnectorReceiver
    shop: Shop
    _tags: Iterator[int] = field(default_factory=itertools.count)

    @property
    def account(self):
        return self.shop.account

    def real(self, base_url: str) -> OrderTarget:
        """The order API, as the shop's first connector (SkyHub) posts to it."""
        return OrderTarget.of(self.shop, base_url=base_url)

    def bare(self, base_url: str, *, relay: bool = False) -> OrderTarget:
        """The bare endpoint; with `relay`, each row is relayed to the receiver as the app notifies."""
        query = ""
        if relay:
            url = notification_url(endpoint=self.receiver.endpoint, account_name=self.account.name)
            query = urlencode({"relay": url})
        return OrderTarget(base_url, self.account.name, "", "", path=BARE_PATH, query=query)

    def bodies(self, tag: str, *, skus: int = 1) -> OrderBodies:
        """Example orders whose ids no other measurement of this stage uses."""
        return OrderBodies(prefix=f"{tag}{next(self._tags)}-{self.account.pk}-", skus=skus)

    def submissions(self) -> int:
        """Orders the order API took in (intake records) for this account."""
        return IntakeRecord.objects.filter(account=self.account).count()

    def orders(self) -> int:
        return Order.objects.filter(account=self.account).count()

    def bare_rows(self) -> int:
        return Submission.objects.count()


@contextmanager
def stage(name: str) -> Iterator[Stage]:
    """A shop whose connectors notify a receiver on 127.0.0.1, and the bare baseline's table."""
    table_create()
    broker_flush()
    with ConnectorReceiver() as receiver:
        shop = seed_shop(name=f"{name}-{time.time_ns() // 1000}", endpoint=receiver.endpoint)
        try:
            yield Stage(receiver, shop)
        finally:
            broker_flush()
            # Left unprocessed (intake runs no worker), they would be the next stage's worker's
            # first batches, the oldest, and their notifications would go to this receiver, gone.
            IntakeRecord.objects.filter(account=shop.account, status=IntakeStatus.RECEIVED).delete()
            table_drop()
