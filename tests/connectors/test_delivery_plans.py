"""The outbox finds the rows a task works on by their key, whatever PostgreSQL's statistics say:
a claim never reads through every pending row, or draining a backlog would cost its square."""

import pytest
from django.db import connection
from django.utils import timezone

from connectors import outbound
from connectors.models import DeliveryState
from connectors.notifications import NOTIFICATIONS
from tests.support.notifications import write


def test_the_outbox_states_are_pending_delivered_and_failed():
    # outbound_statements.NOT_SETTLED says "neither delivered nor failed": a fourth state would count as pending.
    assert set(DeliveryState.values) == {"pending", "delivered", "failed"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner and partial index")
def test_a_claim_reads_its_rows_by_key_when_the_statistics_were_taken_before_a_backlog(shop, capture, queued):
    rows = write(shop, *[None] * 3000, capture=capture)
    with connection.cursor() as cursor:  # statistics taken when nothing was pending, then a backlog
        cursor.execute("UPDATE connectors_notification SET state = 'delivered'")
        cursor.execute("ANALYZE connectors_notification")
        cursor.execute("UPDATE connectors_notification SET state = 'pending'")
    claim = outbound._claimable(NOTIFICATIONS, timezone.now()).filter(pk__in=[rows[1500].pk])
    plan = claim.explain()
    assert "notification_due" not in plan and "connectors_notification_pkey" in plan, plan
    assert list(claim.values_list("pk", flat=True)) == [rows[1500].pk]
