"""Accounts, who belongs to them, and each account's price divergence rule."""

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .decision import BandAction
from .roles import Role

PERCENT = {"max_digits": 5, "decimal_places": 2}
percent_range = [MinValueValidator(0), MaxValueValidator(100)]


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names this machine's time zone database holds, read once."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zones():
        raise ValidationError(
            _(
                "“%(value)s” is not a time zone. Use a name from the IANA time zone database, "
                "such as America/Sao_Paulo or UTC."
            ),
            code="invalid_time_zone",
            params={"value": value},
        )


class NoRulePolicy(models.TextChoices):
    DENY = "deny", "Deny divergent orders (EOI003)"
    AUTHORIZE = "authorize", "Authorize divergent orders"


class Account(models.Model):
    """A seller account, addressed by name (`?an=` in the API)."""

    name = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9-]*$",
                "Use lower-case letters, digits and hyphens, starting with a letter or digit.",
            )
        ],
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="franchises",
        help_text="The parent account, for a franchise account (multilevel omnichannel inventory).",
    )
    order_prefix = models.CharField(
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9]*$", "Letters and digits only.")],
        help_text="Prefix of this franchise account's order ids, e.g. MKT in MKT-MKP-123-01.",
    )
    no_rule_policy = models.CharField(
        max_length=16,
        choices=NoRulePolicy.choices,
        default=NoRulePolicy.DENY,
        help_text="What happens to a divergent order from an external or certified connector "
        "while the account has no price divergence rule.",
    )
    overpayment_is_divergence = models.BooleanField(
        default=True,
        help_text="Off: a marketplace paying more than the seller's price is not a divergence.",
    )
    time_zone = models.CharField(
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_(
            "The time zone the account's people see times and count days in, such as America/Sao_Paulo."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def account_id(self):
        """Let an account answer "which account are you in" like every scoped row."""
        return self.pk


class MemberNotice(models.TextChoices):
    ADDED = "added", "Added to the account"
    CREATED = "created", "Added to the account as a new user"


class Membership(models.Model):
    """A user's role in one account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The e-mail the member is still to be sent (that they were added, and by whom): an outbox
    # mark written with the membership, so the e-mail survives a broker that was down.
    notice_pending = models.CharField(max_length=16, choices=MemberNotice.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "account"], name="one_role_per_account")]
        ordering = ["account__name", "user__email"]

    def __str__(self):
        return f"{self.user.email} · {self.get_role_display()} of {self.account}"


class ApiToken(models.Model):
    """A seller API token (`Authorization: Token <key>`), stored as a SHA-256 digest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"API token of {self.user}"


class PriceDivergenceRule(models.Model):
    """An account's rule: the authorization bands that decide a divergent order."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="price_divergence_rule")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "price divergence rule"
        verbose_name_plural = "price divergence rule"
        permissions = [("edit_rule", "Can edit the price divergence rule")]

    def __str__(self):
        return f"Price divergence rule of {self.account}"


class AuthorizationBand(models.Model):
    """A range of divergence `[lower, upper)` (upper 100 inclusive) and what it does."""

    rule = models.ForeignKey(PriceDivergenceRule, on_delete=models.CASCADE, related_name="bands")
    lower_percent = models.DecimalField(**PERCENT, validators=percent_range)
    upper_percent = models.DecimalField(**PERCENT, validators=percent_range)
    action = models.CharField(max_length=16, choices=BandAction.choices)
    approvers = models.JSONField(default=list, blank=True, help_text="Approver e-mails, in escalation order.")
    escalate_after_minutes = models.PositiveIntegerField(default=240)

    class Meta:
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
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="rule_revisions")
    change = models.CharField(max_length=16, choices=Change.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    bands_before = models.JSONField(default=list)
    bands_after = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_change_display()} rule of {self.account} at {self.created_at:%Y-%m-%d %H:%M}"


class DenyReason(models.TextChoices):
    PRICE_ERROR = "price-error", "Price error"
    STOCK = "stock", "Stock problem"
    SUSPICIOUS = "suspicious", "Suspicious order"
    OTHER = "other", "Other"


class ApprovalTask(models.Model):
    """An order held for manual authorization: its approvers in escalation order, who was asked when, the decision."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="approval_task")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="approval_tasks")
    approvers = models.JSONField(help_text="The band's approvers as they were when the order was held.")
    escalate_after_minutes = models.PositiveIntegerField()
    level = models.IntegerField(
        default=-1, help_text="Index of the last approver notified; -1 before the first."
    )
    notified = models.JSONField(
        default=list, blank=True, help_text="[{level, email, kind, at}] of every e-mail sent."
    )
    next_notification_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason_code = models.CharField(max_length=16, choices=DenyReason.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["next_notification_at"],
                name="approval_task_due",
                condition=models.Q(decision=""),
            )
        ]

    def __str__(self):
        return f"Approval of {self.order_id}"

    @property
    def current_approver(self) -> str | None:
        return self.approvers[self.level] if 0 <= self.level < len(self.approvers) else None
