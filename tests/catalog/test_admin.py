"""The catalog screens of the admin, as an Owner, a viewer and a user of several accounts see them."""

import re

import pytest

from accounts.roles import Role
from accounts.services import membership_set
from catalog.models import ShippingPolicy, Stock
from tests.factories import AccountFactory, PickupPointFactory, SkuFactory, StockFactory, WarehouseFactory

SKUS = "/admin/catalog/sku/"


def cell(page: str, column: str) -> list[str]:
    """Return the texts of the page's table cells of one column."""
    found = re.findall(rf'<td class="field-{column}">(.*?)</td>', page, flags=re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


def test_owner_sees_skus_with_price_as_money_and_available_stock(owner_client, account):
    shirt = SkuFactory(
        account=account, sku_id="1", name="Shirt", price_cents=97550, sales_channels=["1", "2"]
    )
    StockFactory(sku=shirt, quantity=10, reserved=3)
    StockFactory(sku=shirt, warehouse=WarehouseFactory(account=account, warehouse_id="WH2"), quantity=5)
    page = owner_client.get(SKUS).content.decode()
    assert "Shirt" in page
    assert "975.50" in page
    assert cell(page, "channels") == ["1, 2"]
    assert cell(page, "available_stock") == ["12"]


def test_skus_are_searched_by_id_and_name(owner_client, account):
    SkuFactory(account=account, sku_id="1", name="Shirt")
    SkuFactory(account=account, sku_id="77", name="Trousers")
    by_name = owner_client.get(SKUS, {"q": "shirt"}).content.decode()
    assert "Shirt" in by_name
    assert "Trousers" not in by_name
    by_id = owner_client.get(SKUS, {"q": "77"}).content.decode()
    assert "Trousers" in by_id
    assert "Shirt" not in by_id


def test_skus_are_filtered_by_active(owner_client, account):
    SkuFactory(account=account, name="Shirt", active=True)
    SkuFactory(account=account, name="Old hat", active=False)
    page = owner_client.get(SKUS, {"active__exact": "0"}).content.decode()
    assert "Old hat" in page
    assert "Shirt" not in page


def test_other_accounts_skus_are_neither_listed_nor_opened(owner_client, account, other_account):
    SkuFactory(account=account, name="Shirt")
    secret = SkuFactory(account=other_account, name="Globex secret")
    assert "Globex secret" not in owner_client.get(SKUS).content.decode()
    assert "Globex secret" not in owner_client.get(SKUS, {"q": "secret"}).content.decode()
    response = owner_client.get(f"{SKUS}{secret.pk}/change/", follow=True)
    page = response.content.decode()
    assert "Globex secret" not in page
    assert "doesn’t exist" in page
    assert owner_client.get(f"{SKUS}{secret.pk}/history/").status_code == 404
    assert owner_client.get(f"{SKUS}nonsense/history/").status_code == 404


def test_account_filter_offers_only_the_users_accounts(client, owner, account, other_account):
    membership_set(user=owner, account=other_account, role=Role.VIEWER)
    AccountFactory(name="initech")
    SkuFactory(account=account, name="Shirt")
    SkuFactory(account=other_account, name="Gadget")
    client.force_login(owner)
    page = client.get(SKUS).content.decode()
    assert "Shirt" in page and "Gadget" in page
    assert "globex" in page
    assert "initech" not in page
    only_acme = client.get(SKUS, {"account__id__exact": account.pk}).content.decode()
    assert "Shirt" in only_acme and "Gadget" not in only_acme


def test_stock_inline_shows_reserved_and_available_read_only(owner_client, account):
    shirt = SkuFactory(account=account, name="Shirt")
    StockFactory(sku=shirt, quantity=10, reserved=4)
    page = owner_client.get(f"{SKUS}{shirt.pk}/change/").content.decode()
    assert 'name="stock-0-quantity" value="10"' in page
    assert 'name="stock-0-reserved"' not in page
    assert cell(page, "reserved")[0] == "4"
    assert cell(page, "available")[0] == "6"


def test_stock_below_reserved_is_refused_in_the_admin(owner_client, account):
    stock = StockFactory(sku__account=account, quantity=10, reserved=4)
    response = owner_client.post(f"/admin/catalog/stock/{stock.pk}/change/", {"quantity": "3"})
    assert response.status_code == 200
    assert "3 is below the 4 units reserved by orders" in response.content.decode()
    stock.refresh_from_db()
    assert stock.quantity == 10


def test_stock_list_shows_reserved_and_available(owner_client, account):
    StockFactory(sku__account=account, sku__name="Shirt", quantity=10, reserved=4)
    page = owner_client.get("/admin/catalog/stock/").content.decode()
    assert cell(page, "reserved") == ["4"]
    assert cell(page, "available") == ["6"]


def test_owner_adds_a_sku_with_stock_in_one_page(owner_client, account):
    warehouse = WarehouseFactory(account=account, warehouse_id="WH1")
    response = owner_client.post(
        f"{SKUS}add/",
        {
            "account": account.pk,
            "sku_id": "10",
            "name": "Cap",
            "price_cents": "15.00",
            "active": "on",
            "sales_channels": "1;2",
            "stock-TOTAL_FORMS": "1",
            "stock-INITIAL_FORMS": "0",
            "stock-0-warehouse": warehouse.pk,
            "stock-0-quantity": "8",
        },
    )
    assert response.status_code == 302, response.content.decode()
    stock = Stock.objects.get(sku__sku_id="10")
    assert (stock.account, stock.quantity, stock.sku.sales_channels) == (account, 8, ["1", "2"])


def test_price_history_shows_who_changed_the_price(owner_client, account, owner):
    shirt = SkuFactory(account=account, name="Shirt", price_cents=975)
    owner_client.post(
        f"{SKUS}{shirt.pk}/change/",
        {
            "name": "Shirt",
            "price_cents": "10.50",
            "active": "on",
            "sales_channels": "1",
            "stock-TOTAL_FORMS": "0",
            "stock-INITIAL_FORMS": "0",
        },
    )
    page = owner_client.get(f"{SKUS}{shirt.pk}/history/").content.decode()
    assert "10.50" in page
    assert "9.75" in page
    assert "owner@acme.example" in page


def test_viewer_reads_skus_but_cannot_change_or_revert_them(client, viewer, account):
    shirt = SkuFactory(account=account, name="Shirt", price_cents=975)
    shirt.price_cents = 1050
    shirt.save()
    client.force_login(viewer)
    assert "Shirt" in client.get(SKUS).content.decode()
    change = client.post(f"{SKUS}{shirt.pk}/change/", {"name": "Hacked", "price_cents": "1"})
    assert change.status_code == 403
    first = shirt.history.earliest()
    revert = client.post(
        f"{SKUS}{shirt.pk}/history/{first.history_id}/", {"name": "Shirt", "price_cents": "975"}
    )
    assert revert.status_code == 403
    shirt.refresh_from_db()
    assert shirt.price_cents == 1050


def test_delivery_policy_with_pickup_points_is_refused(owner_client, account):
    warehouse = WarehouseFactory(account=account, warehouse_id="WH1")
    point = PickupPointFactory(account=account, warehouse=warehouse)
    response = owner_client.post(
        "/admin/catalog/shippingpolicy/add/",
        {
            "account": account.pk,
            "policy_id": "Express",
            "delivery_channel": "delivery",
            "freight_cents": "20.50",
            "estimate": "3bd",
            "active": "on",
            "warehouses": [warehouse.pk],
            "pickup_points": [point.pk],
        },
    )
    assert "Only pickup-in-point policies have pickup points." in response.content.decode()
    assert not ShippingPolicy.objects.exists()


def test_policy_form_offers_only_warehouses_of_changeable_accounts(owner_client, account, other_account):
    WarehouseFactory(account=account, warehouse_id="WH1", name="Acme depot")
    WarehouseFactory(account=other_account, warehouse_id="WH1", name="Globex depot")
    page = owner_client.get("/admin/catalog/shippingpolicy/add/").content.decode()
    assert "Acme depot" in page
    assert "Globex depot" not in page


def test_pickup_points_are_listed_and_searched_by_city(owner_client, account):
    PickupPointFactory(account=account, name="Curitiba store", city="Curitiba")
    PickupPointFactory(account=account, name="Recife store", city="Recife")
    page = owner_client.get("/admin/catalog/pickuppoint/", {"q": "recife"}).content.decode()
    assert "Recife store" in page
    assert "Curitiba store" not in page


def test_pickup_point_with_another_accounts_warehouse_is_refused(client, owner, account, other_account):
    membership_set(user=owner, account=other_account, role=Role.OWNER)
    foreign = WarehouseFactory(account=other_account, warehouse_id="WH9")
    client.force_login(owner)
    response = client.post(
        "/admin/catalog/pickuppoint/add/",
        {
            "account": account.pk,
            "point_id": "PP1",
            "name": "Store",
            "warehouse": foreign.pk,
            "latitude": "-25.48",
            "longitude": "-49.28",
        },
    )
    assert "The warehouse belongs to another account." in response.content.decode()


def test_stock_rows_holding_reservations_cannot_be_deleted(owner_client, account):
    shirt = SkuFactory(account=account, name="Shirt")
    stock = StockFactory(sku=shirt, quantity=10, reserved=4)
    inline = owner_client.post(
        f"{SKUS}{shirt.pk}/change/",
        {
            "name": "Shirt",
            "price_cents": "9.75",
            "active": "on",
            "sales_channels": "1",
            "stock-TOTAL_FORMS": "1",
            "stock-INITIAL_FORMS": "1",
            "stock-0-id": stock.pk,
            "stock-0-sku": shirt.pk,
            "stock-0-warehouse": stock.warehouse.pk,
            "stock-0-quantity": "10",
            "stock-0-DELETE": "on",
        },
    )
    assert (
        "4 units reserved by orders; the stock row stays until they are released" in inline.content.decode()
    )
    assert owner_client.post(f"/admin/catalog/stock/{stock.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Stock.objects.filter(pk=stock.pk).exists()


@pytest.mark.parametrize("kind", ["sku", "warehouse"])
def test_a_sku_or_warehouse_whose_stock_is_reserved_is_not_deleted_and_the_page_says_why(
    owner_client, account, kind
):
    shirt = SkuFactory(account=account, sku_id="SHIRT", name="Shirt")
    stock = StockFactory(
        sku=shirt, warehouse=WarehouseFactory(account=account, name="North"), quantity=10, reserved=4
    )
    target = shirt if kind == "sku" else stock.warehouse
    delete_url = f"/admin/catalog/{kind}/{target.pk}/delete/"

    page = owner_client.get(delete_url).content.decode()
    owner_client.post(delete_url, {"post": "yes"})
    listed = owner_client.post(
        f"/admin/catalog/{kind}/",
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
    ).content.decode()

    message = "SHIRT in North: 4 units reserved by orders; the stock row stays until they are released."
    assert message in page
    assert "doesn&#x27;t have permission" not in page
    assert message in listed
    assert Stock.objects.get(pk=stock.pk).reserved == 4


def test_a_sku_whose_stock_is_not_reserved_is_deleted_with_its_stock(owner_client, account):
    stock = StockFactory(sku__account=account, quantity=10, reserved=0)
    owner_client.post(f"/admin/catalog/sku/{stock.sku.pk}/delete/", {"post": "yes"})
    assert not Stock.objects.filter(pk=stock.pk).exists()


def test_reserved_stock_survives_a_delete_from_code_too(account):
    from django.db import transaction
    from django.db.models import ProtectedError

    stock = StockFactory(sku__account=account, quantity=10, reserved=4)
    with pytest.raises(ProtectedError, match="4 units reserved by orders"), transaction.atomic():
        stock.sku.delete()
    assert Stock.objects.filter(pk=stock.pk).exists()


def test_stock_row_mixing_two_accounts_is_refused(client, owner, account, other_account):
    membership_set(user=owner, account=other_account, role=Role.OWNER)
    shirt = SkuFactory(account=account, name="Shirt")
    foreign = WarehouseFactory(account=other_account, warehouse_id="WH9")
    client.force_login(owner)
    response = client.post(
        "/admin/catalog/stock/add/", {"sku": shirt.pk, "warehouse": foreign.pk, "quantity": "5"}
    )
    assert "The warehouse belongs to another account than the SKU." in response.content.decode()
    assert not Stock.objects.exists()


def test_viewer_sees_no_add_button_and_cannot_add(client, viewer):
    client.force_login(viewer)
    assert "/admin/catalog/sku/add/" not in client.get(SKUS).content.decode()
    assert client.get(f"{SKUS}add/").status_code == 403
