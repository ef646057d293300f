import pytest
from django.utils import timezone

from tests.connectors.oms_support import OmsClient


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
