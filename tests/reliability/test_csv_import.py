"""Broken CSV files in the catalog import: each is explained on the page and nothing is saved, never a 500."""

import re

import pytest

from catalog.models import Sku, Stock, Warehouse
from tests.factories import StockFactory
from tests.support.imports import SKU_IMPORT, STOCK_IMPORT, import_files_left, upload
from tests.support.pages import markup

BROKEN_SKU_FILES = [
    ("not utf-8", "id,name,price\n1,Camisa Ação,975\n".encode("latin-1"), "UnicodeDecodeError"),
    ("utf-16", "id,name,price\n1,Shirt,975\n".encode("utf-16"), "UnicodeDecodeError"),
    ("binary", bytes(range(256)) * 4, "UnicodeDecodeError"),
    ("empty", b"", "The submitted file is empty."),
    ("no header", b"1,Shirt,975\n", "No valid data to import."),
    ("ragged rows", b"id,name,price\n1,Shirt\n2,Trousers,100,extra,more\n", "InvalidDimensions"),
    ("huge price", b"id,name,price\n1,Shirt,100000000000000000000000000000\n", "Whole cents, 0 or more"),
    ("negative price", b"id,name,price\n1,Shirt,-5\n", "Whole cents, 0 or more"),
    ("decimal price", b"id,name,price\n1,Shirt,9.75\n", "Whole cents, 0 or more"),
    ("exponent price", b"id,name,price\n1,Shirt,1e30\n", "Whole cents, 0 or more"),
    ("NUL in a name", b"id,name,price\n1,Sh\x00irt,975\n", "Has a NUL character"),
    ("NUL in an id", b"id,name,price\n1\x00,Shirt,975\n", "Has a NUL character"),
    ("id too long", b"id,name,price\n" + b"9" * 500 + b",Shirt,975\n", "at most 64 characters"),
    ("name too long", b"id,name,price\n1," + b"x" * 5000 + b",975\n", "at most 200 characters"),
]


@pytest.mark.parametrize(
    ("data", "reason"), [case[1:] for case in BROKEN_SKU_FILES], ids=[case[0] for case in BROKEN_SKU_FILES]
)
def test_a_broken_sku_file_is_explained_and_saves_nothing(owner_client, account, data, reason):
    page = markup(upload(owner_client, SKU_IMPORT, account, data))
    assert reason in page
    assert "Confirm import" not in re.sub(r"click 'Confirm import'", "", page)
    assert not Sku.objects.exists()
    assert import_files_left() == []  # a file that cannot be confirmed is not kept


BROKEN_STOCK_FILES = [
    ("huge quantity", b"sku,warehouse,quantity\n1,WH1,100000000000000000000000\n", "Whole units, 0 or more."),
    ("negative quantity", b"sku,warehouse,quantity\n1,WH1,-3\n", "Whole units, 0 or more."),
    ("NUL in a warehouse", b"sku,warehouse,quantity\n1,WH\x002,3\n", "Has a NUL character"),
    ("unknown sku", b"sku,warehouse,quantity\n404,WH1,3\n", "No SKU '404' in account acme"),
]


@pytest.mark.parametrize(
    ("data", "reason"),
    [case[1:] for case in BROKEN_STOCK_FILES],
    ids=[case[0] for case in BROKEN_STOCK_FILES],
)
def test_a_broken_stock_file_is_explained_and_changes_nothing(owner_client, account, data, reason):
    stock = StockFactory(sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10)
    page = markup(upload(owner_client, STOCK_IMPORT, account, data))
    assert reason in page
    assert "Confirm import" not in re.sub(r"click 'Confirm import'", "", page)
    stock.refresh_from_db()
    assert stock.quantity == 10
    assert list(Warehouse.objects.values_list("warehouse_id", flat=True)) == ["WH1"]
    assert Stock.objects.count() == 1


def test_unicode_names_in_a_file_with_a_byte_order_mark_are_kept(owner_client, account):
    name = "Camisa 🛒 ação עברית 北京"
    page = markup(
        upload(owner_client, SKU_IMPORT, account, f"\ufeffid,name,price\nção-1,{name},975\n".encode())
    )
    form = re.search(r'<form action="(/admin/catalog/sku/process_import/)".*?</form>', page, re.S)
    assert form is not None
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
    done = owner_client.post(form.group(1), fields)
    assert done.status_code == 302
    assert Sku.objects.get().name == name
    assert Sku.objects.get().sku_id == "ção-1"
    assert import_files_left() == []
