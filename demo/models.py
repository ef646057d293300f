"""What the demo connector's receiver was sent: one row per call, as it came."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class CallKind(models.TextChoices):
    NOTIFICATION = "notification", _("Processing result")
    HOOK = "hook", _("Order status change (hook)")
    PING = "ping", _("Hook check (ping)")
    OTHER = "other", _("Other call")


class ReceivedCall(models.Model):
    """A call the app made to the demo connector (`demo/receiver.py`), kept whatever it held."""

    # The demo account's, when it exists: its members read the list (demo/admin.py).
    account = models.ForeignKey(
        Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=16, choices=CallKind.choices)
    path = models.CharField(_("path"), max_length=1000)
    # A notification's contract code (SOI001 …), or the status a hook call announces.
    code = models.CharField(_("code"), max_length=40, blank=True)
    # marketplaceOrderId of a notification, OrderId (the mainOrderId) of a hook call.
    order = models.CharField(_("order"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    attempt = models.PositiveIntegerField(_("attempt"), null=True, blank=True)
    signature_valid = models.BooleanField(_("signature valid"))
    # The JSON as sent; a body that is not JSON, as its text.
    body = models.JSONField(_("body"), null=True, blank=True)

    class Meta:
        verbose_name = _("call received by the demo connector")
        verbose_name_plural = _("Received by the demo connector")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code} {self.order}".strip()
