from datetime import timedelta

import pytest
from django.utils import timezone

from tests.connectors.oms_support import OmsClient


@pytest.fixture
def oms(client, shop, django_capture_on_commit_callbacks, settings):
    """The shop's connector on the OMS API; hook retries come at once."""
    settings.HOOK_RETRY_BASE_SECONDS = 0.01
    settings.HOOK_TIMEOUT_SECONDS = 2
    return OmsClient(client, shop.credentials, django_capture_on_commit_callbacks)


class Clock:
    """Moves `timezone.now()` forward, for everything that asks it."""

    def __init__(self):
        self.offset = timedelta()

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + clock.offset)
    return clock


@pytest.fixture
def hook_server():
    """A connector's hook endpoint, apart from its notification endpoint, recording every call (pings too)."""
    from tests.connector_server import start_connector_server

    server = start_connector_server()
    yield server
    server.stop()
