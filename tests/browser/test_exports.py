"""Exports in a real browser: a short list downloads at once, a long one is written by a worker and downloaded when ready."""

import csv

import pytest
from playwright.sync_api import expect

from orders.approvals import order_approve
from orders.models import Order
from tests.browser.conftest import ARTIFACTS, log_in_on
from tests.insight.conftest import ANA, placed, rule  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def export_worker(placed, eager_tasks, settings, tmp_path):  # noqa: F811 (the fixture imported above)
    """A real Celery worker writing exports into the test's own folder, which the live server reads."""
    from tests.worker import require_services, start_worker, stop_worker

    require_services()
    folder = tmp_path / "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    settings.EXPORT_INLINE_MAX_ROWS = 2
    eager_tasks.conf.task_always_eager = False  # the orders are placed: from now on the worker works
    process = start_worker(EXPORT_ROOT=str(folder))
    yield process
    stop_worker(process)


def read(download) -> list[dict]:
    with open(download.path(), newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_a_short_list_downloads_at_once_and_a_long_one_when_a_worker_wrote_it(
    page, log_in, viewer, account, export_worker
):
    account.time_zone = "America/Sao_Paulo"
    account.save()
    log_in(viewer)
    page.goto("/admin/orders/order/?outcome=no-divergence")
    with page.expect_download() as at_once:
        page.get_by_role("link", name="Export CSV").click()
    assert [row["main_order_id"] for row in read(at_once.value)] == ["MKP-N2", "MKP-N1"]

    page.goto("/admin/orders/order/")
    page.locator("#changelist-filter").get_by_role("link", name="Payment pending").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    page.get_by_role("link", name="Export CSV").click()
    expect(page.locator("#export-offer")).to_contain_text(
        "The list holds more than 2 orders: too many to download at once."
    )
    page.get_by_role("button", name="Write the CSV in the background").click()

    expect(page.locator("h1")).to_have_text("Export: Orders")
    expect(page.locator("#export-facts")).to_contain_text("status__exact = payment-pending")
    expect(page.locator("#export-status")).to_have_text("Ready: 3 orders.", timeout=30_000)
    expect(page.locator("#export-download")).to_contain_text("Download orders-")
    page.screenshot(path=ARTIFACTS / "export-ready-to-download.png", full_page=True)
    with page.expect_download() as written:
        page.locator("#export-download").click()
    rows = read(written.value)
    assert [row["main_order_id"] for row in rows] == ["MKP-A1", "MKP-N2", "MKP-N1"]
    assert all(row["created_at (America/Sao_Paulo)"].endswith("-03:00") for row in rows)

    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="Exports").click()
    expect(page.locator("h1")).to_have_text("Your exports")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list .oa-badge")).to_have_text("Ready")
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)
    assert page.script_errors == []


def test_without_javascript_the_decisions_export_page_follows_the_worker(
    page_without_javascript, viewer, approver, export_worker
):
    order_approve(order=Order.objects.get(marketplace_order_id="M1"), approver=approver, note="Promotion")
    page = page_without_javascript
    log_in_on(page, viewer)
    page.goto("/admin/")
    page.get_by_role("link", name="Decisions").click()
    page.get_by_role("link", name="Export CSV").click()
    page.get_by_role("button", name="Write the CSV in the background").click()

    expect(page.locator("#export-status")).to_have_text("Ready: 5 decided submissions.", timeout=30_000)
    with page.expect_download() as written:
        page.locator("#export-download").click()
    rows = read(written.value)
    said = [(row["marketplace_order_id"], row["decided_by"], row["decision"]) for row in rows]
    assert said == [
        ("D1", "rule", "deny"),
        ("M1", "rule", "manual"),
        ("M1", ANA, "approved"),
        ("A1", "rule", "authorize"),
        ("N2", "rule", "no-divergence"),
        ("N1", "rule", "no-divergence"),
    ]
