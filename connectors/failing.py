"""Connectors no call has reached for a day: flagged on the admin home, their Owners e-mailed once.

Nothing is dropped meanwhile: their notifications and hook calls are still retried, and a
failed one can be resent. `outbound.record` marks a connector when a call to it fails and it was
not marked; this sweep (beat, hourly) clears the mark once a call was delivered since, and
e-mails the account's Owners once a mark is a day old — once, until the connector recovers.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.backends import account_roles
from accounts.selectors import account_owners, mail_language

from .models import Connector, DeliveryState, HookDelivery, Notification

logger = logging.getLogger(__name__)

FAILING_FOR = timedelta(days=1)


def _delivered_since(connector: Connector) -> bool:
    return any(
        model.objects.filter(connector=connector, delivered_at__gte=connector.failing_since).exists()
        for model in (Notification, HookDelivery)
    )


def connectors_failing_sweep(*, now=None) -> dict[str, int]:
    """Clear the marks of connectors reached since; tell the Owners of those failing for a day."""
    now = now or timezone.now()
    marked = list(Connector.objects.filter(failing_since__isnull=False).only("pk", "failing_since"))
    recovered = [connector.pk for connector in marked if _delivered_since(connector)]
    Connector.objects.filter(pk__in=recovered).update(failing_since=None, failing_told_at=None)
    due = (
        Connector.objects.filter(failing_since__lte=now - FAILING_FOR, failing_told_at__isnull=True)
        .exclude(pk__in=recovered)
        .select_related("account")
    )
    told = 0
    for connector in due:
        # Claimed first, so two sweeps never e-mail twice; given back if the e-mail fails.
        if not Connector.objects.filter(pk=connector.pk, failing_told_at__isnull=True).update(
            failing_told_at=now
        ):
            continue
        try:
            _tell_owners(connector)
        except Exception:
            Connector.objects.filter(pk=connector.pk, failing_told_at=now).update(failing_told_at=None)
            logger.exception("Could not e-mail the Owners of failing connector %s", connector.pk)
            continue
        told += 1
    return {"recovered": len(recovered), "told": told}


def _tell_owners(connector: Connector) -> None:
    """E-mail each Owner of the connector's account, in their language, times in the account's zone."""
    waiting = Notification.objects.filter(connector=connector).exclude(state=DeliveryState.DELIVERED)
    last = waiting.exclude(last_error="").order_by("-pk").values_list("last_error", flat=True).first()
    context = {
        "connector": connector,
        "account": connector.account,
        "waiting": waiting.count(),
        "last_error": last or "",
        "url": settings.SITE_URL.rstrip("/")
        + reverse("admin:connectors_notification_changelist")
        + f"?connector__id__exact={connector.pk}",
    }
    for owner in account_owners(account_id=connector.account_id):
        with (
            translation.override(mail_language(email=owner.email)),
            timezone.override(connector.account.time_zone),
        ):
            subject = render_to_string("admin/connectors/email/failing_subject.txt", context).strip()
            body = render_to_string("admin/connectors/email/failing.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])


def failing_connectors(*, user, now=None) -> list[Connector]:
    """The connectors of the user's accounts no call has reached for a day, that the user may see."""
    now = now or timezone.now()
    connectors = Connector.objects.filter(failing_since__lte=now - FAILING_FOR).select_related("account")
    if not user.is_superuser:
        connectors = connectors.filter(account__in=list(account_roles(user)))
    return [
        connector
        for connector in connectors.order_by("failing_since")
        if user.has_perm("connectors.view_connector", connector)
    ]
