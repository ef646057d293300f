"""Seller accounts, who belongs to them (memberships with a role), and the seller API's tokens.

The tables keep the names they had in the `authorization` app (`db_table`): the models moved
here without their rows moving (migrations `accounts.0001` and `authorization.0007`).
"""

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.money import DEFAULT_CURRENCY, validate_currency

from .roles import ABSENCE_WRITES, MANAGE_ABSENCES, Role


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
    DENY = "deny", _("Deny divergent orders (EOI003: refused)")
    AUTHORIZE = "authorize", _("Authorize divergent orders")


class Account(models.Model):
    """A seller account, addressed by name (`?an=` in the API)."""

    name = models.CharField(
        _("name"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9-]*$",
                _("Use lower-case letters, digits and hyphens, starting with a letter or digit."),
            )
        ],
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="franchises",
        verbose_name=_("parent account"),
        help_text=_("The parent account, for a franchise account (multilevel omnichannel inventory)."),
    )
    order_prefix = models.CharField(
        _("order prefix"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9]*$", _("Letters and digits only."))],
        help_text=_("Prefix of this franchise account's order ids, e.g. MKT in MKT-MKP-123-01."),
    )
    no_rule_policy = models.CharField(
        _("without a rule"),
        max_length=16,
        choices=NoRulePolicy.choices,
        default=NoRulePolicy.DENY,
        help_text=_(
            "What happens to a divergent order from an external or certified connector "
            "while the account has no price divergence rule."
        ),
    )
    overpayment_is_divergence = models.BooleanField(
        _("overpayment is a divergence"),
        default=True,
        help_text=_("Off: a marketplace paying more than the seller's price is not a divergence."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_(
            "The time zone the account's people see times and count days in, such as America/Sao_Paulo."
        ),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default=DEFAULT_CURRENCY,
        validators=[validate_currency],
        help_text=_("The currency of the account's prices and orders (ISO 4217), such as BRL."),
    )
    email_decisions = models.BooleanField(
        _("decisions from the e-mail"),
        default=False,
        help_text=_(
            "On: each order in an approver's e-mail carries a link to approve or deny it without "
            "signing in, for that approver and that order only, once, until its next escalation "
            "or for 24 hours. Only an Owner of the account changes this."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        db_table = "authorization_account"
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self):
        return self.name

    @property
    def account_id(self):
        """Let an account answer "which account are you in" like every scoped row."""
        return self.pk


class Preferences(models.Model):
    """What a user chose for themselves: the language the admin and their e-mails speak to them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Blank: the language your browser asks for."),
    )
    browser_language = models.CharField(
        max_length=8,
        blank=True,
        help_text="The language their browser asked for when they last signed in: their e-mails' while they choose none.",
    )

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self):
        return self.user.email


class MemberNotice(models.TextChoices):
    ADDED = "added", _("Added to the account")
    CREATED = "created", _("Added to the account as a new user")


class Membership(models.Model):
    """A user's role in one account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("account")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    # The e-mail the member is still to be sent (that they were added, and by whom): an outbox
    # mark written with the membership, so the e-mail survives a broker that was down.
    notice_pending = models.CharField(max_length=16, choices=MemberNotice.choices, blank=True)

    class Meta:
        db_table = "authorization_membership"
        constraints = [models.UniqueConstraint(fields=["user", "account"], name="one_role_per_account")]
        ordering = ["account__name", "user__email"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self):
        return f"{self.user.email} · {self.get_role_display()} of {self.account}"


class ApiToken(models.Model):
    """A seller API token (`Authorization: Token <key>`), stored as a SHA-256 digest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    key_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "authorization_apitoken"
        verbose_name = _("seller API token")
        verbose_name_plural = _("seller API tokens")

    def __str__(self):
        return f"API token of {self.user}"


class Absence(models.Model):
    """A member away from one account for a while: whose turn they have, whom it passes to.

    In force from `starts_at` until `ends_at` (excluded); ended early by moving `ends_at` to the
    moment it was ended. Without a substitute, the absent approver's turn passes to the next
    approver of each chain.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="absences", verbose_name=_("account")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences", verbose_name=_("absent")
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covering",
        verbose_name=_("substitute"),
        help_text=_("Who decides in their place meanwhile: a member of the account who may decide orders."),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("set"), auto_now_add=True)

    class Meta:
        ordering = ["account__name", "starts_at", "pk"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        permissions = [("manage_absences", "Can set and end the absences of every member")]
        indexes = [models.Index(fields=["account", "ends_at"], name="absence_account_ends")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.user.email} away from {self.account}"

    def permits(self, user, perm: str) -> bool:
        """Add the absence's own condition to the user's role: one sets or ends one's own absence,
        the account's Owner anyone's. Called by the permission backend."""
        if perm not in ABSENCE_WRITES:
            return True
        return user.pk == self.user_id or user.has_perm(MANAGE_ABSENCES, self.account)


class SettingsVersion(models.Model):
    """A number that moves whenever what processing reads of an account once a batch changes: the
    account and its franchises, its connectors and their feed and hook settings, its rule and
    bands, its shipping policies with their warehouses and pickup points. Written only by the database, by the
    triggers `accounts.settings_version` installs on those tables, so no write path can forget
    it; processing keeps what it read until the number moves. No foreign key: a row outlives
    its account's deletion, which a trigger may bump on the way."""

    account_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("settings version")
        verbose_name_plural = _("settings versions")

    def __str__(self):
        return f"{self.account_id}: {self.version}"
