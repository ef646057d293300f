"""How approvers decide held orders besides one at a time: many at once, or from a link in an e-mail."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from .order import Order


class BulkDecision(models.Model):
    """Approving or denying many orders from the queue at once, run by a worker, and what became of each."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approve")
        DENY = "deny", _("Deny")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bulk_decisions",
        help_text=_("The account of the orders; empty when the selection spans several accounts."),
        verbose_name=_("account"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    action = models.CharField(max_length=8, choices=Action.choices, verbose_name=_("action"))
    reason_code = models.CharField(max_length=16, blank=True, verbose_name=_("reason"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    language = models.CharField(
        max_length=8, blank=True, help_text="The language the user read the queue in: the results speak it."
    )
    order_ids = models.JSONField(
        default=list,
        help_text=_("The selected orders, in the order they are decided."),
        verbose_name=_("orders"),
    )
    total = models.PositiveIntegerField(default=0, verbose_name=_("total"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    results = models.JSONField(
        default=list,
        blank=True,
        help_text=_("[{order, main_order_id, ok, message}] of every order decided."),
        verbose_name=_("results"),
    )
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.PENDING, verbose_name=_("state")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished"))

    class Meta:
        verbose_name = _("bulk decision")
        verbose_name_plural = _("bulk decisions")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} {self.total} orders ({self.get_state_display()})"


class DecisionLink(models.Model):
    """A link e-mailed to one approver to decide one order without signing in (`orders.decision_links`).

    Only a digest of its token is kept: the token is in the e-mail alone.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="decision_links")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("decision link")
        verbose_name_plural = _("decision links")

    def __str__(self):
        return f"Decision link of {self.order_id} for {self.approver_id}"
