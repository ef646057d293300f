"""E-mails telling people that someone added them to an account.

A membership added from the team screen carries `notice_pending`, set in the transaction that
adds it; the e-mail goes out after commit, and the sweep sends any whose task was lost.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import MemberNotice, Membership
from .roles import Role
from .selectors import mail_language

logger = logging.getLogger(__name__)


def member_added_notify(*, membership_id: int) -> bool:
    """Tell the member who added them to which account, as which role; return whether a mail went out.

    The notice is claimed with a compare-and-set, so two tasks never send it twice; it is given
    back when sending fails, for the next try.
    """
    membership = (
        Membership.objects.select_related("user", "account", "added_by")
        .exclude(notice_pending="")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        return False
    notice = membership.notice_pending
    if not Membership.objects.filter(pk=membership_id, notice_pending=notice).update(notice_pending=""):
        return False
    context = {
        "email": membership.user.email,
        "account": membership.account.name,
        "role": Role(membership.role).label,
        "added_by": membership.added_by.email if membership.added_by else None,
        "new_user": notice == MemberNotice.CREATED,
        "admin_url": settings.SITE_URL.rstrip("/") + reverse("admin:index"),
    }
    with translation.override(mail_language(email=membership.user.email)):
        context["role"] = str(context["role"])
        subject = render_to_string("accounts/email/member_added_subject.txt", context).strip()
        body = render_to_string("accounts/email/member_added.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [membership.user.email])
    except Exception:
        Membership.objects.filter(pk=membership_id, notice_pending="").update(notice_pending=notice)
        logger.exception("Could not tell %s they were added to %s", membership.user.email, membership.account)
        raise
    return True


def member_notices_due(*, now=None, older_than: timedelta = timedelta(minutes=1)) -> list[int]:
    """Memberships still to be announced whose own task should have run by now."""
    now = now or timezone.now()
    return list(
        Membership.objects.exclude(notice_pending="")
        .filter(created_at__lte=now - older_than)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
