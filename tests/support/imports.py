"""The catalog's CSV import in the admin, as a seller uses it: upload a file, read the preview, confirm."""

import os
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.imports import import_storage

SKU_IMPORT = "/admin/catalog/sku/import/"
SKU_CONFIRM = "/admin/catalog/sku/process_import/"
STOCK_IMPORT = "/admin/catalog/stock/import/"
STOCK_CONFIRM = "/admin/catalog/stock/process_import/"


def import_files_left() -> list[str]:
    """Return the files waiting in the imports' storage."""
    folder = Path(import_storage().location)
    return sorted(os.listdir(folder)) if folder.exists() else []


def upload(client, url, account, content: str | bytes):
    """Send a CSV file (text, or the bytes of a file) to the import page; return the preview response."""
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        url,
        {
            "account": account.pk,
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("catalog.csv", data, content_type="text/csv"),
        },
    )


def confirm(client, url, preview):
    """Press "Confirm import" on a preview page."""
    form = preview.context["confirm_form"]
    return client.post(url, {name: form.initial.get(name, "") for name in form.fields})
