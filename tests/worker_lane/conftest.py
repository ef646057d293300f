"""The real-worker lane (`pytest -m real_worker`): what only a Celery worker on Redis shows —
intake to notification, decisions, retries and their countdowns, the sweeps beat runs, the
queue-once marks, routing to the three queues, a worker lost mid-task.

Each module starts one worker (with beat) and its tests share it: starting one takes seconds.
Each test still has a database of its own (`transactional_db` empties it after the test), which
the worker reads; a task of an earlier test that comes late finds its rows gone and does nothing.
"""

import pytest

from tests.support.orders import place_held
from tests.support.shop import make_shop
from tests.worker import require_services, stop_worker
from tests.worker_lane.lane import calling, start_lane_worker


@pytest.fixture(scope="module")
def worker_queues():
    """The queues the module's worker takes tasks from: all three, unless the module says otherwise."""
    return None


@pytest.fixture(scope="module")
def _migrated_rows_restored(django_db_setup, django_db_blocker):
    """Each test starts from the rows migrate leaves (content types, permissions, the role groups),
    loaded from a copy taken when the test database was made (serialized rollback): Django would
    otherwise make them again after each test (post_migrate), which takes seconds a test. The
    copy goes into empty tables, so they are emptied first; after the module, the rows are made
    once more, as the tests that follow expect them."""
    from django.core.management import call_command
    from django.core.management.sql import emit_post_migrate_signal

    with django_db_blocker.unblock():
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    yield
    with django_db_blocker.unblock():
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


@pytest.fixture(scope="module")
def lane_worker(_migrated_rows_restored, worker_queues):
    require_services()
    process = start_lane_worker(queues=worker_queues)
    yield process
    stop_worker(process)


@pytest.fixture
def celery_worker(lane_worker, transactional_db, django_db_serialized_rollback):
    """The module's worker, on this test's database: started once a module, not once a test."""
    return lane_worker


@pytest.fixture
def worker_shop(celery_worker, account, connector_server):
    """The example seller, whose orders the real worker processes."""
    return make_shop(account, connector_server.url)


@pytest.fixture
def marketplace(client, worker_shop):
    """The shop's connector calling the order API."""
    return calling(client, worker_shop.credentials)


@pytest.fixture
def held_order(marketplace, worker_shop, owner, approver, second_approver, connector_server):
    """An order held for manual authorization (Ana, then Bo), whose approval the marketplace has
    asked for (EOI011): a decision is then told to the connector."""
    order = place_held(worker_shop.connector)
    marketplace.approve(order.marketplace_order_id)
    assert [r.body["code"] for r in connector_server.wait_for(2, timeout=30)] == ["SOI001", "EOI011"]
    return order
