"""A connector's feed (contract §4.3): its settings, reading and committing its items.

Items read are invisible for the feed's visibility timeout and come back unless committed by
their handle; items nobody commits are dropped after the retention period. What puts items in
the feed is `connectors.status_changes`.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from .models import Connector, FeedConfig, FeedItem

MAX_LOT = 10


@transaction.atomic
def feed_configure(
    *, connector: Connector, statuses: list[str], visibility_timeout_seconds: int, retention_seconds: int
) -> FeedConfig:
    """Create or replace the connector's feed; items already in it stay."""
    feed, _ = FeedConfig.objects.update_or_create(
        connector=connector,
        defaults={
            "account_id": connector.account_id,
            "statuses": statuses,
            "visibility_timeout_seconds": visibility_timeout_seconds,
            "retention_seconds": retention_seconds,
        },
    )
    return feed


def feed_delete(*, connector: Connector) -> bool:
    """Remove the connector's feed and everything in it; False when it had none."""
    deleted, _ = FeedConfig.objects.filter(connector=connector).delete()
    return bool(deleted)


def feed_of(*, connector: Connector) -> FeedConfig | None:
    return FeedConfig.objects.filter(connector=connector).first()


@dataclass(frozen=True)
class FeedStats:
    quantity: int
    oldest_age_seconds: float


def feed_stats(*, feed: FeedConfig, now=None) -> FeedStats:
    """Count the items in the feed, invisible ones too, and the age of the oldest."""
    now = now or timezone.now()
    items = FeedItem.objects.filter(feed=feed, created_at__gt=now - timedelta(seconds=feed.retention_seconds))
    oldest = items.aggregate(oldest=Min("created_at"))["oldest"]
    return FeedStats(
        quantity=items.count(), oldest_age_seconds=(now - oldest).total_seconds() if oldest else 0.0
    )


@transaction.atomic
def feed_read(*, feed: FeedConfig, max_items: int, now=None) -> list[FeedItem]:
    """Hand out up to `max_items` visible items, oldest first; they are invisible for the visibility timeout.

    Concurrent readers never get the same item: rows another reader holds are skipped.
    """
    now = now or timezone.now()
    FeedItem.objects.filter(
        feed=feed, created_at__lte=now - timedelta(seconds=feed.retention_seconds)
    ).delete()
    ids = list(
        FeedItem.objects.select_for_update(skip_locked=True)
        .filter(feed=feed, visible_after__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:max_items]
    )
    FeedItem.objects.filter(pk__in=ids).update(
        visible_after=now + timedelta(seconds=feed.visibility_timeout_seconds),
        receive_count=F("receive_count") + 1,
    )
    return list(FeedItem.objects.filter(pk__in=ids).order_by("pk"))


def feed_item_body(item: FeedItem) -> dict:
    body = dict(item.body)
    return {"eventId": body.pop("eventId"), "handle": item.handle, **body}


def feed_commit(*, feed: FeedConfig, handles: list[str]) -> int:
    """Remove the items of these handles from the feed; unknown or already committed handles are ignored."""
    deleted, _ = FeedItem.objects.filter(feed=feed, handle__in=set(handles)).delete()
    return deleted


def feed_items_purge(*, now=None) -> int:
    """Drop the items nobody committed within their feed's retention period; return how many."""
    now = now or timezone.now()
    dropped = 0
    for feed_id, retention in FeedConfig.objects.values_list("pk", "retention_seconds"):
        deleted, _ = FeedItem.objects.filter(
            feed_id=feed_id, created_at__lte=now - timedelta(seconds=retention)
        ).delete()
        dropped += deleted
    return dropped
