"""CSV import (preview, confirm, all rows or none, one account) and export of SKUs and stock."""

from accounts.roles import Role
from accounts.services import membership_set
from catalog.models import Sku, Stock, Warehouse
from tests.factories import SkuFactory, StockFactory
from tests.support.imports import (
    SKU_CONFIRM,
    SKU_IMPORT,
    STOCK_CONFIRM,
    STOCK_IMPORT,
    confirm,
    import_files_left,
    upload,
)


def test_sku_import_previews_then_saves_on_confirmation(owner_client, account):
    SkuFactory(account=account, sku_id="1", name="Shirt", price_cents=975, sales_channels=["1"])
    preview = upload(
        owner_client,
        SKU_IMPORT,
        account,
        "id,name,price,active,salesChannels\n1,Shirt,1050,true,1\n2,Trousers,15990,false,1;2\n",
    )
    page = preview.content.decode()
    assert "Preview" in page
    assert "Confirm import" in page
    assert "Trousers" in page
    assert not Sku.objects.filter(sku_id="2").exists()
    assert Sku.objects.get(sku_id="1").price_cents == 975

    done = confirm(owner_client, SKU_CONFIRM, preview)
    assert done.status_code == 302
    assert "Import finished: 1 new, 1 updated" in owner_client.get(done["Location"]).content.decode()
    trousers = Sku.objects.get(account=account, sku_id="2")
    assert (trousers.name, trousers.price_cents, trousers.active, trousers.sales_channels) == (
        "Trousers",
        15990,
        False,
        ["1", "2"],
    )
    assert Sku.objects.get(sku_id="1").price_cents == 1050


def test_sku_import_with_a_broken_row_names_it_and_saves_nothing(owner_client, account):
    preview = upload(
        owner_client,
        SKU_IMPORT,
        account,
        "id,name,price,active,salesChannels\n1,Shirt,975,true,1\n2,Trousers,9.75,maybe,1\n3,,100,true,\n",
    )
    page = preview.content.decode()
    assert "Some rows failed to validate" in page
    assert "Whole cents, 0 or more, e.g. 975 for 9.75." in page
    assert "Write true or false." in page
    assert "This field cannot be blank." in page
    assert "Confirm import" not in page
    assert not Sku.objects.exists()


def test_sku_import_refuses_rows_of_another_account(owner_client, account):
    preview = upload(
        owner_client, SKU_IMPORT, account, "account,id,name,price\nacme,1,Shirt,975\nglobex,2,Gadget,100\n"
    )
    page = preview.content.decode()
    assert "This row is for account &#x27;globex&#x27;; this import goes into &#x27;acme&#x27;." in page
    assert "Confirm import" not in page
    assert not Sku.objects.exists()


def test_import_cannot_be_pointed_at_an_account_the_user_only_views(
    owner_client, owner, account, other_account
):
    membership_set(user=owner, account=other_account, role=Role.VIEWER)
    owner.refresh_from_db()
    owner_client.force_login(owner)
    preview = upload(owner_client, SKU_IMPORT, other_account, "id,name,price\n1,Shirt,975\n")
    assert "Select a valid choice." in preview.content.decode()
    good = upload(owner_client, SKU_IMPORT, account, "id,name,price\n1,Shirt,975\n")
    form = good.context["confirm_form"]
    tampered = {name: form.initial.get(name, "") for name in form.fields} | {"account": other_account.pk}
    refused = owner_client.post(SKU_CONFIRM, tampered)
    assert refused["Location"] == SKU_IMPORT
    page = owner_client.get(SKU_IMPORT).content.decode()
    assert "You may not import into this account: nothing was imported." in page
    assert not Sku.objects.filter(account=other_account).exists()
    assert not Sku.objects.exists()


def test_rows_repeating_an_id_are_refused(owner_client, account):
    preview = upload(owner_client, SKU_IMPORT, account, "id,name,price\n1,Shirt,975\n1,Shirt,990\n")
    assert "Also on line 1; each row once." in preview.content.decode()


def test_stock_import_sets_units_on_hand_and_creates_new_warehouses(owner_client, account):
    stock = StockFactory(sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10)
    preview = upload(owner_client, STOCK_IMPORT, account, "sku,warehouse,quantity\n1,WH1,12\n1,WH2,5\n")
    assert "Confirm import" in preview.content.decode()
    assert not Warehouse.objects.filter(warehouse_id="WH2").exists()
    done = confirm(owner_client, STOCK_CONFIRM, preview)
    assert done.status_code == 302
    stock.refresh_from_db()
    assert stock.quantity == 12
    assert Stock.objects.get(warehouse__warehouse_id="WH2").quantity == 5


def test_stock_import_below_reserved_or_of_unknown_sku_saves_nothing(owner_client, account):
    stock = StockFactory(
        sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10, reserved=4
    )
    preview = upload(
        owner_client,
        STOCK_IMPORT,
        account,
        "sku,warehouse,quantity\n1,WH1,3\n404,WH1,1\n1,WH 2,1\n1,WH3,7\n",
    )
    page = preview.content.decode()
    assert "3 is below the 4 units reserved by orders; set at least 4, or release the orders first." in page
    assert "No SKU &#x27;404&#x27; in account acme; import it with the SKU file first." in page
    assert "Not a warehouse id: &#x27;WH 2&#x27;." in page
    assert "Confirm import" not in page
    stock.refresh_from_db()
    assert stock.quantity == 10
    assert not Warehouse.objects.filter(warehouse_id="WH3").exists()


def test_confirmation_that_no_longer_passes_saves_nothing(owner_client, account):
    stock = StockFactory(sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10)
    SkuFactory(account=account, sku_id="2")
    preview = upload(owner_client, STOCK_IMPORT, account, "sku,warehouse,quantity\n2,WH1,1\n1,WH1,5\n")
    Stock.objects.filter(pk=stock.pk).update(reserved=8)  # orders reserved units meanwhile
    done = confirm(owner_client, STOCK_CONFIRM, preview)
    page = owner_client.get(done["Location"]).content.decode()
    assert "Nothing was imported: the file no longer passes the checks (lines 2)" in page
    assert Stock.objects.count() == 1
    stock.refresh_from_db()
    assert stock.quantity == 10


def test_sku_export_contains_the_accounts_rows_only(client, viewer, account, other_account):
    SkuFactory(
        account=account, sku_id="1", name="Shirt", price_cents=975, sales_channels=["1", "2"], active=True
    )
    SkuFactory(account=other_account, sku_id="9", name="Globex secret")
    client.force_login(viewer)
    response = client.post("/admin/catalog/sku/export/", {"format": "0", "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    # Money stays integer cents, the header says so, and the currency is beside it.
    assert lines == [
        "id,name,price (cents),active,salesChannels,currency,account",
        "1,Shirt,975,true,1;2,BRL,acme",
    ]


def test_stock_export_contains_reserved_and_available(owner_client, account):
    StockFactory(
        sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10, reserved=4
    )
    response = owner_client.post("/admin/catalog/stock/export/", {"format": "0", "resource": "0"})
    assert response.content.decode().splitlines() == [
        "sku,warehouse,quantity,reserved,available,account",
        "1,WH1,10,4,6,acme",
    ]


def test_exported_file_imports_back_unchanged(owner_client, account):
    SkuFactory(account=account, sku_id="1", name="Shirt", price_cents=975, sales_channels=["1"])
    exported = owner_client.post(
        "/admin/catalog/sku/export/", {"format": "0", "resource": "0"}
    ).content.decode()
    preview = upload(owner_client, SKU_IMPORT, account, exported)
    assert "Skipped" in preview.content.decode()
    confirm(owner_client, SKU_CONFIRM, preview)
    assert Sku.objects.get().history.count() == 1


def test_viewer_exports_but_does_not_import(client, viewer, account, owner_client):
    client.force_login(viewer)
    page = client.get("/admin/catalog/sku/").content.decode()
    assert "/admin/catalog/sku/export/" in page
    assert "/admin/catalog/sku/import/" not in page
    assert client.get(SKU_IMPORT).status_code == 403
    assert upload(client, SKU_IMPORT, account, "id,name,price\n7,Gadget,100\n").status_code == 403
    # Nor confirms the import an Owner of the same account is looking at.
    preview = upload(owner_client, SKU_IMPORT, account, "id,name,price\n7,Gadget,100\n")
    waiting = import_files_left()
    assert confirm(client, SKU_CONFIRM, preview).status_code == 403
    assert not Sku.objects.exists()
    assert import_files_left() == waiting
    assert confirm(owner_client, SKU_CONFIRM, preview).status_code == 302  # the Owner's still stands
    assert list(Sku.objects.values_list("sku_id", "name")) == [("7", "Gadget")]


def test_import_page_explains_the_columns(owner_client):
    page = owner_client.get(STOCK_IMPORT).content.decode()
    assert "Columns: sku, warehouse, quantity (units on hand, never below the reserved ones)." in page
