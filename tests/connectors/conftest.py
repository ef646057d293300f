from unittest import mock

import pytest
from django.utils import timezone

from connectors.tasks import deliver_notification, deliver_notifications
from tests.connectors.oms_support import OmsClient
from tests.support.notifications import Queued


@pytest.fixture
def oms(client, shop, django_capture_on_commit_callbacks, settings):
    """The shop's connector on the OMS API; hook retries come at once."""
    settings.HOOK_RETRY_BASE_SECONDS = 0.01
    settings.HOOK_TIMEOUT_SECONDS = 2
    return OmsClient(client, shop.credentials, django_capture_on_commit_callbacks)


@pytest.fixture
def clock(time_machine):
    """The process's clock, moved forward by `clock.shift(seconds)` (time-machine): whatever reads
    the time sees it, the models' `default=timezone.now` too, not only calls of `timezone.now`."""
    time_machine.move_to(timezone.now())
    return time_machine


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """The delivery tasks queued once the work of the test commits, in order, instead of run."""
    found: list[Queued] = []

    def recorder(task):
        def apply_async(args, countdown=None, **options):
            found.append(Queued(task, args[0], countdown))

        return apply_async

    with (
        mock.patch.object(deliver_notification, "apply_async", recorder("one")),
        mock.patch.object(deliver_notifications, "apply_async", recorder("many")),
    ):
        yield found


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks
