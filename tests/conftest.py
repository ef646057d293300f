import contextlib
import shutil
import socket

import pytest
import redis

from accounts.roles import Role
from tests.factories import AccountFactory, member


def pytest_configure(config):
    from django.conf import settings

    from tests.support import database

    if settings.configured:
        database.claim(settings)


def pytest_unconfigure(config):
    from tests.support import database

    database.release()


def pytest_sessionfinish(session, exitstatus):
    """Leave nothing of this run behind: its keys on Redis and its folder (tests/settings.py)."""
    from django.conf import settings

    if settings.configured and getattr(settings, "OWNS_TEST_RUN", False):
        from tests.worker import delete_run_keys

        with contextlib.suppress(redis.RedisError):
            delete_run_keys()
        shutil.rmtree(settings.TEST_RUN_DIR, ignore_errors=True)


@pytest.fixture
def account(db):
    return AccountFactory(name="acme")


@pytest.fixture
def owner(account):
    return member(account, Role.OWNER, "owner@acme.example")


@pytest.fixture
def oms_full(account):
    return member(account, Role.OMS_FULL, "oms@acme.example")


@pytest.fixture
def approver(account):
    return member(account, Role.APPROVER, "ana@acme.example")


@pytest.fixture
def second_approver(account):
    return member(account, Role.APPROVER, "bo@acme.example")


@pytest.fixture
def viewer(account):
    return member(account, Role.VIEWER, "viewer@acme.example")


@pytest.fixture
def other_account(db):
    return AccountFactory(name="globex")


@pytest.fixture
def api_client_for():
    """Return a function giving an API client authenticated with the user's token."""
    from tests.support.clients import api_client_for

    return api_client_for


def _browser_of(role: str):
    """A fixture giving the browser of the member `role` (a fixture), logged in: `owner_client` …"""

    def browser(request):
        from tests.support.clients import client_for

        return client_for(request.getfixturevalue(role))

    return pytest.fixture(browser, name=f"{role}_client")


owner_client = _browser_of("owner")
oms_full_client = _browser_of("oms_full")
approver_client = _browser_of("approver")
viewer_client = _browser_of("viewer")


@pytest.fixture(autouse=True)
def _language_of_each_test_its_own():
    """Start each test in English: a request the test client sent in Portuguese leaves its language
    active in the thread, and gettext in a later test (a pure function's messages) would speak it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash test passwords cheaply: the suite creates many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _storage_in(settings, name, folder):
    settings.STORAGES = {
        **settings.STORAGES,
        name: {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    return folder


@pytest.fixture(autouse=True)
def import_files(settings, tmp_path):
    """Keep the files waiting for an import's confirmation in a folder of the test's own."""
    return _storage_in(settings, "imports", tmp_path / "imports")


@pytest.fixture(autouse=True)
def export_files(settings, tmp_path):
    """Keep the exports' files in a folder of the test's own."""
    return _storage_in(settings, "exports", tmp_path / "exports")


def _served():
    from tests.connector_server import start_connector_server

    server = start_connector_server()
    yield server
    server.stop()


@pytest.fixture
def connector_server():
    """A connector's notification endpoint on 127.0.0.1 that records what it receives."""
    yield from _served()


@pytest.fixture
def other_server():
    """A second endpoint on 127.0.0.1, recording every call (pings too): a connector's hook
    endpoint, apart from its notification endpoint, or another account's, for what must not reach it."""
    yield from _served()


@pytest.fixture
def closed_port():
    """A port of 127.0.0.1 that refuses connections for the whole test: this socket holds it
    bound without listening, so no other process can start listening there meanwhile."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture
def eager_tasks(settings):
    """Run Celery tasks inline, as soon as they are queued (after the transaction commits)."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0.01
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    # Delivered in passing as long as by the queue: on a busy machine a try cut short would be
    # sent again, and tests count what the connector receives (tests/connectors set it lower).
    settings.NOTIFICATION_INLINE_SECONDS = 2
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def shop(account, connector_server, eager_tasks):
    """The example seller; its connector's tasks run inline."""
    from tests.support.shop import make_shop

    return make_shop(account, connector_server.url)


@pytest.fixture
def mkp(client, shop, django_capture_on_commit_callbacks):
    """The shop's connector, calling the API; processing and notifications run as each request commits."""
    from tests.connector_client import ConnectorClient

    return ConnectorClient(client, shop.credentials, django_capture_on_commit_callbacks)


@pytest.fixture
def held_order(shop, owner, approver, second_approver):
    """The example order MKP-123456789, 15.01 % below the seller's price: held for ana, then bo."""
    from tests.support.orders import place_held

    return place_held(shop.connector)


@pytest.fixture(autouse=True)
def _on_commit_tracked(monkeypatch):
    """Record the test's on-commit callbacks, so an assertion made before they run is refused."""
    from tests.support import on_commit

    on_commit.track(monkeypatch)
    yield
    on_commit.untrack()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    from tests.support import on_commit, outbox

    on_commit.body_starts()
    outbox.settled_from_here(item)
    return (yield)


@pytest.fixture(autouse=True)
def _process_caches_reset():
    """Start each test as a fresh process would: credentials an earlier test's connector had
    accepted, a connector paused for delivery in passing, a connection pooled to its server, a backoff after its broker failed or its Django
    cache must not decide this test's outcome. (The `@cache`s of the apps only hold what the code
    and the schemas derive, the same for every test.)"""
    from django.core.cache import caches

    import kit.redis
    from connector_api import authentication
    from connectors import egress, notifications

    notifications._inline_paused.clear()
    authentication.forget_accepted()
    if egress._session is not None:
        egress._session[1].close()
        egress._session = None
    kit.redis.redis_forget()
    for cache in caches.all(initialized_only=True):
        cache.clear()


@pytest.fixture(autouse=True)
def _the_apps_celery_stays_current():
    """The app queues its tasks and keeps its batches' marks through `celery.current_app`
    (kit/enqueue.py). `Celery(...)` makes itself current unless told not to: a test that built one
    sent every later test's tasks and marks in its process to its own broker. Such a test fails
    here, and the app is made current again."""
    from celery import current_app

    from config.celery import app

    yield
    if current_app._get_current_object() is not app:
        app.set_current()
        pytest.fail("This test left another Celery app current: build it with set_as_current=False.")


@pytest.fixture(autouse=True)
def _private_urls_allowed(settings):
    """Let the app call 127.0.0.1, where the tests' connectors listen; the tests of the address
    policy (tests/security/test_outbound.py) switch it back off."""
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True


@pytest.fixture(autouse=True)
def _login_lockout_off(settings, request):
    """Let tests log in with the test client; the lockout tests switch it back on."""
    if "login_lockout" not in request.keywords:
        settings.AXES_ENABLED = False
