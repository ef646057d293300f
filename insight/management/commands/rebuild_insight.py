"""Recompute the dashboard's figures: record the decisions of older orders, then rebuild the rollups."""

from django.core.management.base import CommandError

from accounts.models import Account
from insight.backfill import decisions_backfill
from insight.queue import queue_rebuild
from insight.rollups import rollups_rebuild
from kit.errors import ServiceCommand


class Command(ServiceCommand):
    help = (
        "Record the decisions of orders integrated before decisions were recorded, and recompute "
        "the dashboard's daily rollups from the records and its queue from the waiting orders. "
        "Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", help="only this account (its name); every account by default")

    def handle(self, *args, account=None, **options):
        accounts = Account.objects.order_by("name")
        if account:
            accounts = accounts.filter(name=account)
            if not accounts.exists():
                raise CommandError(f"No account named {account!r}.")
        for one in accounts:
            added = decisions_backfill(account=one)
            rollups_rebuild(account=one)
            queue_rebuild(account=one)
            self.stdout.write(
                f"{one.name}: {added} decisions recovered from orders; rollups and queue rebuilt."
            )
