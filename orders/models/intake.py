"""Every submission a connector sends, kept whether or not it became an order."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from connectors.models import Connector

from ..statuses import Flow, IntakeStatus


class IntakeRecord(models.Model):
    """One submission from a connector, kept whether or not it became an order ("connection orders")."""

    # The database checks the account through the connector's (connector, account) pair: a
    # submission is always of its connector's account, and each insert locks one row, not two.
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="intake_records",
        db_index=False,  # indexed first in a composite index below
        db_constraint=False,  # checked with the connector: orders/migrations/0010
        verbose_name=_("account"),
    )
    connector = models.ForeignKey(
        Connector,
        on_delete=models.CASCADE,
        related_name="intake_records",
        db_constraint=False,  # checked with the account: orders/migrations/0010
        verbose_name=_("connector"),
    )
    flow = models.CharField(
        max_length=16, choices=Flow.choices, default=Flow.PLACE_ORDER, verbose_name=_("flow")
    )
    marketplace_order_id = models.CharField(max_length=100, verbose_name=_("marketplace order"))
    body = models.JSONField(verbose_name=_("body"))
    body_digest = models.CharField(max_length=64, verbose_name=_("body digest"))
    status = models.CharField(
        max_length=16, choices=IntakeStatus.choices, default=IntakeStatus.RECEIVED, verbose_name=_("status")
    )
    code = models.CharField(max_length=8, blank=True, verbose_name=_("code"))
    errors = models.JSONField(default=list, blank=True, verbose_name=_("errors"))
    held_reason = models.TextField(blank=True, verbose_name=_("held reason"))
    held_until_rule = models.BooleanField(
        default=False,
        help_text=_("Held because the account has no rule yet: reprocessed when it gets one."),
        verbose_name=_("held until the account has a rule"),
    )
    operation_id = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("operation"))
    order = models.ForeignKey(
        "Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="intake_records",
        db_index=False,  # indexed where set, below: a submission is received without one
        verbose_name=_("order"),
    )
    ignore_divergence = models.BooleanField(
        default=False,
        help_text=_("Set by 'ignore divergence and reprocess': integrate whatever the divergence."),
        verbose_name=_("ignore the divergence"),
    )
    reprocessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed where set, below
        verbose_name=_("reprocessed by"),
    )
    reprocessed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reprocessed at"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    lease_until = models.DateTimeField(null=True, blank=True, verbose_name=_("leased until"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed"))

    class Meta:
        verbose_name = _("connection order")
        verbose_name_plural = _("connection orders")
        ordering = ["-received_at", "-pk"]
        permissions = [("reprocess_intake", _("Can reprocess connection orders"))]
        constraints = [
            # An exact replay of a placed order starts nothing; approvals may be sent again and again.
            models.UniqueConstraint(
                fields=["connector", "body_digest"],
                condition=models.Q(flow=Flow.PLACE_ORDER),
                name="one_intake_per_identical_order_body",
            )
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="intake_status_received"),
            models.Index(fields=["account", "-received_at"], name="intake_account_recent"),
            # Every submission is inserted into each index of this table, the order API's one
            # write: no LIKE index, and none for the columns still empty when a submission comes in.
            models.Index(fields=["marketplace_order_id"], name="intake_marketplace_order"),
            models.Index(fields=["order"], condition=models.Q(order__isnull=False), name="intake_order"),
            models.Index(
                fields=["reprocessed_by"],
                condition=models.Q(reprocessed_by__isnull=False),
                name="intake_reprocessed_by",
            ),
        ]

    def __str__(self):
        return f"{self.connector.affiliate_id} {self.marketplace_order_id} ({self.get_status_display()})"
