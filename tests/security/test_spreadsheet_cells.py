"""Every CSV the app writes opens in a spreadsheet as text: no cell it writes runs as a formula.

The app writes CSV in two places: the admin lists' exports (`exports`, at once or by a worker)
and the catalog's export (django-import-export). Both pass their text through
`kit.spreadsheets.formula_safe`; the last test finds any other CSV writer the app grows.
"""

import ast
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Sku
from exports.models import Export
from exports.tasks import write_export
from kit.spreadsheets import formula_safe, formula_unquoted
from orders.models import Order
from tests.exports.conftest import ORDERS, downloaded, read_csv
from tests.factories import SkuFactory
from tests.insight.conftest import placed, rule  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]

# What a spreadsheet could run, each behind a different start.
FORMULAS = {
    "equals": '=HYPERLINK("http://evil.example","click")',
    "plus": "+1+2",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(A1:A9)",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
    "line feed": "\n=1+1",
    "space": " =1+1",
    "spaces and a line feed": "  \n=1+1",
    "no-break space": "\u00a0=1+1",
    "ideographic space": "\u3000=1+1",
    "full-width equals": "＝1+1",
    "full-width plus": "＋1+1",
    "full-width minus": "－1+1",
    "full-width at": "＠SUM(A1:A9)",
    "small equals": "﹦1+1",
    "minus sign": "\u22121+1",
    "zero-width space": "\u200b=1+1",
    "byte order mark": "\ufeff=1+1",
    "word joiner": "\u2060=1+1",
    "left-to-right mark": "\u200e=1+1",
    "soft hyphen": "\u00ad@SUM(A1)",
    "byte order mark, then a space": "\ufeff =1+1",
    "zero-width space, then full-width equals": "\u200b＝1+1",
}
# Text that only looks odd: written as it is.
PLAIN = ["John Doe", "a=b", " hello", "\u200bhello", "\ufeffJosé", "100%", "", "'quoted'", "1;2"]


@pytest.mark.parametrize("text", FORMULAS.values(), ids=FORMULAS.keys())
def test_text_a_spreadsheet_could_run_gets_a_leading_apostrophe(text):
    assert formula_safe(text) == "'" + text
    assert formula_unquoted(formula_safe(text)) == text  # what the catalog's import reads back


@pytest.mark.parametrize("text", PLAIN)
def test_text_that_only_looks_odd_is_written_as_it_is(text):
    assert formula_safe(text) == text
    assert formula_unquoted(text) == text


def test_the_order_list_exported_at_once_quotes_every_such_cell(client, viewer, placed):  # noqa: F811
    client.force_login(viewer)
    for name, text in FORMULAS.items():
        Order.objects.filter(marketplace_order_id="M1").update(customer_name=text, customer_email=text)
        row = {row["main_order_id"]: row for row in downloaded(client.get(f"{ORDERS}export.csv"))[1]}[
            "MKP-M1"
        ]
        assert (row["customer_name"], row["customer_email"]) == ("'" + text, "'" + text), name


def test_the_order_list_written_by_a_worker_quotes_every_such_cell(client, viewer, placed, settings):  # noqa: F811
    settings.EXPORT_INLINE_MAX_ROWS = 2
    texts = list(FORMULAS.values())
    orders = list(Order.objects.order_by("pk"))
    for index, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(customer_name=texts[index], customer_email=texts[-1 - index])
    client.force_login(viewer)
    client.post("/admin/exports/export/start/", {"list": "orders.order", "query": ""})
    export = Export.objects.get()

    write_export(export.pk)

    rows = downloaded(client.get(f"/admin/exports/export/{export.pk}/download/"))[1]
    written = {(row["customer_name"], row["customer_email"]) for row in rows}
    assert written == {("'" + texts[index], "'" + texts[-1 - index]) for index in range(len(orders))}


def test_the_catalog_export_quotes_every_such_cell_and_imports_back_unchanged(client, owner, account):
    for number, text in enumerate(FORMULAS.values(), start=1):
        SkuFactory(
            account=account, sku_id=str(number), name=text, price_cents=100 * number, sales_channels=["1"]
        )
    client.force_login(owner)

    exported = client.post("/admin/catalog/sku/export/", {"format": "0", "resource": "0"}).content.decode()

    names = {row["id"]: row["name"] for row in read_csv(exported)[1]}
    assert names == {str(number): "'" + text for number, text in enumerate(FORMULAS.values(), start=1)}
    Sku.objects.filter(sku_id="1").update(name="Renamed meanwhile")
    preview = client.post(
        "/admin/catalog/sku/import/",
        {
            "account": account.pk,
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("skus.csv", exported.encode(), content_type="text/csv"),
        },
    )
    form = preview.context["confirm_form"]
    client.post(
        "/admin/catalog/sku/process_import/", {name: form.initial.get(name, "") for name in form.fields}
    )
    # Back as they were, apostrophes taken off (a carriage return in a cell is the CSV reader's to keep).
    names = dict(Sku.objects.values_list("sku_id", "name"))
    expected = {
        str(number): text for number, text in enumerate(FORMULAS.values(), start=1) if "\r" not in text
    }
    assert {number: names[number] for number in expected} == expected
    assert names["1"] == FORMULAS["equals"]  # renamed meanwhile: the file's name again


def test_the_catalog_export_leaves_numbers_and_plain_names_alone(client, viewer, account):
    SkuFactory(account=account, sku_id="1", name="Shirt", price_cents=975, sales_channels=["1", "2"])
    client.force_login(viewer)
    exported = client.post("/admin/catalog/sku/export/", {"format": "0", "resource": "0"}).content.decode()
    assert exported.splitlines() == [
        "id,name,price (cents),active,salesChannels,currency,account",
        "1,Shirt,975,true,1;2,BRL,acme",
    ]


WRITERS = re.compile(r"\bcsv\.(?:writer|DictWriter)\(|\.export\(|\bexport_set\(|\btablib\b")
# The one place lines become CSV text; its cells come from exports.tables.csv_lines.
KNOWN_WRITERS = {"exports/tables.py", "exports/services.py"}


def app_sources():
    """Yield (path from the root, source) of every module of the app, migrations left out."""
    for package in ROOT.iterdir():
        if (package / "__init__.py").exists() and package.name not in {"tests", "bench"}:
            for path in package.rglob("*.py"):
                if "migrations" not in path.parts:
                    yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_no_other_csv_writer_in_the_app():
    """A new CSV writer must pass its cells through `formula_safe` and be added here once it does."""
    found = set()
    for relative, source in app_sources():
        if "csv" in source and WRITERS.search(source):
            found.add(relative)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "attr", getattr(base, "id", "")) in {"ModelResource", "Resource"}
                for base in node.bases
            ):
                assert node.name == "AccountScopedResource", (
                    f"{relative}: {node.name} exports without AccountScopedResource.export_field"
                )
    assert found <= KNOWN_WRITERS, found - KNOWN_WRITERS
