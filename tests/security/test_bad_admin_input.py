"""What the admin's own forms, actions and views do with input they cannot use: a clear refusal
in the page, the rows as they were; never a 500.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from tests.factories import UserFactory
from tests.support.pages import messages

ATTEMPTS = "/admin/axes/accessattempt/"


@pytest.fixture
def root(db):
    return UserFactory(email="root@example.com", is_superuser=True)


# Failed logins (django-axes) ---------------------------------------------------------------------


def attempt(username: str, age: timedelta) -> AccessAttempt:
    row = AccessAttempt.objects.create(
        username=username, ip_address="203.0.113.9", failures_since_start=3, user_agent="x"
    )
    AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - age)
    return row


def test_cleaning_up_expired_login_attempts_deletes_only_those_past_the_lockout(client, root, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    expired = attempt("old@example.com", timedelta(hours=1))
    recent = attempt("new@example.com", timedelta(minutes=1))
    client.force_login(root)

    response = client.post(
        ATTEMPTS, {"action": "cleanup_expired_attempts", "_selected_action": [recent.pk]}, follow=True
    )

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [recent.username]
    assert messages(response) == [("info", "Cleaned up 1 expired access attempts.")]
    assert expired.username not in response.content.decode()
