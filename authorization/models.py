"""Each account's price divergence rule, its history, and the orders held for a person's decision."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from .decision import BandAction, OnDeadline

PERCENT = {"max_digits": 5, "decimal_places": 2}
percent_range = [MinValueValidator(0), MaxValueValidator(100)]


class PriceDivergenceRule(models.Model):
    """An account's rule: the authorization bands that decide a divergent order."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="price_divergence_rule")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("price divergence rule")
        verbose_name_plural = _("price divergence rule")
        permissions = [("edit_rule", "Can edit the price divergence rule")]

    def __str__(self):
        return f"Price divergence rule of {self.account}"


class AuthorizationBand(models.Model):
    """A range of divergence `[lower, upper)` (upper 100 inclusive) and what it does."""

    rule = models.ForeignKey(PriceDivergenceRule, on_delete=models.CASCADE, related_name="bands")
    lower_percent = models.DecimalField(**PERCENT, validators=percent_range)
    upper_percent = models.DecimalField(**PERCENT, validators=percent_range)
    action = models.CharField(max_length=16, choices=BandAction.choices)
    approvers = models.JSONField(
        default=list, blank=True, help_text=_("Approver e-mails, in escalation order.")
    )
    escalate_after_minutes = models.PositiveIntegerField(default=240)
    on_deadline = models.CharField(max_length=16, choices=OnDeadline.choices, default=OnDeadline.WAIT)
    deadline_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Minutes from the hold after which the deadline decides.")
    )
    approve_up_to_cents = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("The most paid value, in cents, the deadline approves.")
    )

    class Meta:
        verbose_name = _("authorization band")
        verbose_name_plural = _("authorization bands")
        ordering = ["lower_percent"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lower_percent__gte=0)
                & models.Q(upper_percent__lte=100)
                & models.Q(lower_percent__lt=models.F("upper_percent")),
                name="band_within_0_100",
            )
        ]

    def __str__(self):
        return f"{self.lower_percent}–{self.upper_percent} %: {self.get_action_display()}"

    @property
    def account_id(self):
        return self.rule.account_id


class RuleRevision(models.Model):
    """One change to an account's rule: who, when, the bands before and after.

    Kept on the account, not the rule, so the history outlives a deleted rule.
    """

    class Change(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        DELETED = "deleted", _("Deleted")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="rule_revisions")
    change = models.CharField(max_length=16, choices=Change.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    bands_before = models.JSONField(default=list)
    bands_after = models.JSONField(default=list)
    restored_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The earlier version whose bands this change brought back."),
    )

    class Meta:
        verbose_name = _("change to the rule")
        verbose_name_plural = _("changes to the rule")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_change_display()} rule of {self.account} at {self.created_at:%Y-%m-%d %H:%M}"


class DenyReason(models.TextChoices):
    PRICE_ERROR = "price-error", _("Price error")
    STOCK = "stock", _("Stock problem")
    SUSPICIOUS = "suspicious", _("Suspicious order")
    OTHER = "other", _("Other")
    EXPIRED = "expired", _("Expired")

    @classmethod
    def chosen_by_people(cls) -> list[tuple[str, str]]:
        """The reasons a person denies with; `expired` is the deadline's alone."""
        return [(value, label) for value, label in cls.choices if value != cls.EXPIRED]


class ApprovalTask(models.Model):
    """An order held for manual authorization: its approvers in escalation order, who was asked when, the decision."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="approval_task")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="approval_tasks")
    approvers = models.JSONField(help_text=_("The band's approvers as they were when the order was held."))
    escalate_after_minutes = models.PositiveIntegerField()
    level = models.IntegerField(
        default=-1, help_text=_("Index of the approver whose turn it is; -1 before the first.")
    )
    notified = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "[{level, email, kind, at}]: each approver e-mailed about the order, at the digest that listed it."
        ),
    )
    next_notification_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_deadline = models.BooleanField(
        default=False, help_text=_("Decided by the band's deadline, not by a person.")
    )
    deadline_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the band's deadline decides, if it has one; cleared once it has had its say."),
    )
    on_behalf_of = models.EmailField(
        _("on behalf of"),
        blank=True,
        help_text=_(
            "The approver away whose turn the one who decided took; blank when they decided in their own right."
        ),
    )
    reason_code = models.CharField(max_length=16, choices=DenyReason.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_notification_at"],
                name="approval_task_due",
                condition=models.Q(decision=""),
            ),
            models.Index(
                fields=["deadline_at"],
                name="approval_task_deadline",
                condition=models.Q(decision="", deadline_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"Approval of {self.order_id}"

    @property
    def current_approver(self) -> str | None:
        return self.approvers[self.level] if 0 <= self.level < len(self.approvers) else None


class ApprovalNotice(models.Model):
    """An order that became an approver's to decide — held for them, escalated to them, or a
    reminder — until the digest e-mail that lists it is sent (`orders.approval_mail`)."""

    class Kind(models.TextChoices):
        NEW = "new", _("new")
        ESCALATION = "escalation", _("escalated to you")
        REMINDER = "reminder", _("reminder")

    task = models.ForeignKey(ApprovalTask, on_delete=models.CASCADE, related_name="notices")
    email = models.EmailField()
    level = models.IntegerField(help_text=_("The approver's place in the chain, from 0."))
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the digest that listed it was sent; empty while it waits.")
    )

    class Meta:
        verbose_name = _("approval notice")
        verbose_name_plural = _("approval notices")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["email", "created_at"],
                name="approval_notice_pending",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.kind} for {self.email} about task {self.task_id}"


class ApproverMailbox(models.Model):
    """When an approver was last sent a digest: the next one waits out APPROVAL_EMAIL_INTERVAL_MINUTES."""

    email = models.EmailField(unique=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approver's mailbox")
        verbose_name_plural = _("approvers' mailboxes")

    def __str__(self):
        return self.email
