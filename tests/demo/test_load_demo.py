"""The demo account that bin/run loads on first start."""

from accounts.models import Absence, Account, Membership
from authorization.models import RuleRevision
from catalog.models import Sku, Stock
from connectors.models import Connector
from tests.support.demo import load_demo, password_of
from tests.support.pages import page


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Account, Membership, Connector, Sku, Stock, RuleRevision, Absence)
    }


def test_loading_twice_changes_nothing_and_prints_the_same_credentials(db, tmp_path):
    credentials = tmp_path / "demo-credentials.txt"
    first = load_demo(credentials)
    loaded = counts()
    second = load_demo(credentials)
    assert counts() == loaded
    assert loaded == {
        "Account": 1,
        "Membership": 4,
        "Connector": 1,
        "Sku": 4,
        "Stock": 4,
        "RuleRevision": 1,
        "Absence": 1,
    }
    assert second == first
    assert credentials.read_text() in first


def test_demo_owner_logs_in_to_the_admin_and_sees_the_demo_rule(db, tmp_path, client):
    output = load_demo(tmp_path / "demo-credentials.txt")
    assert client.login(username="owner@demo.example", password=password_of(output, "owner@demo.example"))
    page = client.get("/admin/", follow=True)
    assert page.status_code == 200
    assert "owner@demo.example" in page.content.decode()
    rule = Account.objects.get(name="demo-seller").price_divergence_rule
    assert [
        (str(band.lower_percent), str(band.upper_percent), band.action, band.approvers)
        for band in rule.bands.all()
    ] == [
        ("0.00", "5.00", "authorize", []),
        ("5.00", "20.00", "manual", ["ana@demo.example", "bo@demo.example"]),
        ("20.00", "100.00", "deny", []),
    ]


def test_credentials_that_no_longer_work_are_replaced_and_printed_anew(db, tmp_path, client):
    credentials = tmp_path / "demo-credentials.txt"
    first = load_demo(credentials)
    credentials.write_text(first.replace(password_of(first, "viewer@demo.example"), "forgotten"))
    second = load_demo(credentials)
    assert counts()["Connector"] == 1
    viewer_password = password_of(second, "viewer@demo.example")
    assert viewer_password not in ("forgotten", password_of(first, "viewer@demo.example"))
    assert client.login(username="viewer@demo.example", password=viewer_password)


def test_demo_orders_are_valid_and_processed_into_every_outcome(
    db, tmp_path, eager_tasks, django_capture_on_commit_callbacks
):
    from connectors.contract import check_place_order
    from orders.models import IntakeRecord, Order

    with django_capture_on_commit_callbacks(execute=True):
        load_demo(tmp_path / "credentials.txt")
    assert all(check_place_order(intake.body) == [] for intake in IntakeRecord.objects.all())
    statuses = set(IntakeRecord.objects.values_list("status", flat=True))
    assert statuses == {"integrated", "rejected"}
    order_statuses = set(Order.objects.values_list("status", flat=True))
    assert {"waiting-for-manual-authorization", "payment-pending", "ready-for-handling"} <= order_statuses
    with django_capture_on_commit_callbacks(execute=True):
        load_demo(tmp_path / "credentials.txt")
    assert IntakeRecord.objects.count() == 8


def test_ana_finds_next_week_s_holiday_with_bo_covering_among_the_absences(db, tmp_path, client):
    output = load_demo(tmp_path / "demo-credentials.txt")
    assert client.login(username="ana@demo.example", password=password_of(output, "ana@demo.example"))
    listing = page(client, "/admin/accounts/absence/")
    assert "ana@demo.example" in listing and "bo@demo.example" in listing and "to come" in listing
