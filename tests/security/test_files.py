"""No client names a file the server then reads, serves or deletes, unless it is theirs.

The catalog import's confirmation carries a token that stands for the file this user previewed
in this import (`catalog.imports`); its files wait in the app's own `imports` storage, never in
the system's temp folder. An export's file is downloaded only by the user who asked for it, and
is never deleted on a client's word.
"""

import os
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.utils import timezone
from import_export.admin import ImportMixin

from accounts.roles import Role
from catalog.imports import ImportFiles, OwnedImportMixin, PendingImportConfirmForm, import_storage
from catalog.models import PendingImport, Sku
from exports.models import Export
from exports.services import export_storage
from tests.factories import SkuFactory, member
from tests.support.imports import (
    SKU_CONFIRM,
    SKU_IMPORT,
    STOCK_CONFIRM,
    confirm,
    import_files_left,
    upload,
)
from tests.support.pages import text

NOT_WAITING = "This import is not waiting for your confirmation"
SKUS = "id,name,price\n1,Shirt,975\n"


def refused(client, response) -> str:
    """Follow a refused confirmation back to the import page; return what it says."""
    assert response.status_code == 302, response.status_code
    assert response["Location"] == SKU_IMPORT
    page = client.get(response["Location"])
    assert page.status_code == 200
    return text(page)


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """The system's temp folder, as the library's default storage would use it: a folder of the test's own."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def files_in(folder) -> list[str]:
    return sorted(os.listdir(folder))


def export_file(export) -> bytes:
    return (Path(export_storage().location) / export.file_path).read_bytes()


def confirmation(token: str, account, **fields) -> dict:
    """What the confirmation form posts, naming the import `token`."""
    return {
        "import_file_name": token,
        "original_file_name": "catalog.csv",
        "format": "0",
        "resource": "",
        "account": account.pk,
        **fields,
    }


# The import's confirmation


def test_naming_a_file_of_the_temp_folder_imports_nothing_and_keeps_it(owner_client, account):
    """The reproduction: a file of the server's temp folder, named in the confirmation."""
    victim = os.path.join(tempfile.gettempdir(), f"victim-{uuid.uuid4().hex}.csv")
    with open(victim, "w") as file:
        file.write("id,name,price\n666,Stolen,1\n")
    try:
        for name in (os.path.basename(victim), victim, f"../{os.path.basename(victim)}"):
            page = refused(owner_client, owner_client.post(SKU_CONFIRM, confirmation(name, account)))
            assert NOT_WAITING in page
            assert "Import finished" not in page
        with open(victim) as file:
            assert file.read() == "id,name,price\n666,Stolen,1\n"
        assert not Sku.objects.exists()
    finally:
        os.remove(victim)


@pytest.mark.parametrize(
    "name",
    [
        "does-not-exist.csv",
        "0" * 43,  # shaped like a token, but none was given
        "../../../../etc/passwd",
        "/etc/passwd",
        "..",
        "",
        "x" * 5000,
    ],
    ids=["missing", "unknown token", "dot-dot path", "absolute path", "parent", "empty", "long"],
)
def test_a_name_that_is_no_token_of_the_user_is_a_form_error(owner_client, account, name):
    page = refused(owner_client, owner_client.post(SKU_CONFIRM, confirmation(name, account)))
    assert NOT_WAITING in page
    assert not Sku.objects.exists()


def test_the_preview_file_itself_cannot_be_named_only_its_token(owner_client, account):
    preview = upload(owner_client, SKU_IMPORT, account, SKUS)
    [stored] = import_files_left()
    page = refused(owner_client, owner_client.post(SKU_CONFIRM, confirmation(stored, account)))
    assert NOT_WAITING in page
    assert import_files_left() == [stored]
    assert not Sku.objects.exists()
    assert confirm(owner_client, SKU_CONFIRM, preview).status_code == 302  # the token still works
    assert Sku.objects.get().name == "Shirt"


def test_another_users_pending_import_is_refused_and_theirs_kept(
    client,
    owner,
    oms_full,
    account,
    other_account,
):
    theirs = member(other_account, Role.OWNER, "owner@globex.example")
    client.force_login(theirs)
    preview = upload(client, SKU_IMPORT, other_account, "id,name,price\n7,Globex gadget,100\n")
    token = preview.context["confirm_form"].initial["import_file_name"]
    [stored] = import_files_left()

    for intruder in (owner, oms_full):  # another account's Owner; a colleague of the same account
        client.force_login(intruder)
        # Naming their own account, the token is not theirs; naming globex, the account is not.
        for account_named, said in (
            (account, NOT_WAITING),
            (other_account, "You may not import into this account"),
        ):
            response = client.post(SKU_CONFIRM, confirmation(token, account_named))
            assert response.status_code == 302
            assert said in text(client.get(response["Location"]))
    assert import_files_left() == [stored]
    assert PendingImport.objects.filter(token=token, user=theirs).exists()
    assert not Sku.objects.exists()

    client.force_login(theirs)
    assert confirm(client, SKU_CONFIRM, preview).status_code == 302
    assert list(Sku.objects.values_list("account__name", "name")) == [("globex", "Globex gadget")]
    assert import_files_left() == []


def test_a_token_of_another_list_is_refused(owner_client, account):
    preview = upload(owner_client, SKU_IMPORT, account, SKUS)
    token = preview.context["confirm_form"].initial["import_file_name"]
    response = owner_client.post(STOCK_CONFIRM, confirmation(token, account))
    assert response.status_code == 302
    assert NOT_WAITING in text(owner_client.get(response["Location"]))
    assert len(import_files_left()) == 1
    assert confirm(owner_client, SKU_CONFIRM, preview).status_code == 302
    assert Sku.objects.count() == 1


def test_an_expired_preview_is_refused_then_swept(owner_client, account):
    preview = upload(owner_client, SKU_IMPORT, account, SKUS)
    [stored] = import_files_left()
    three_hours_ago = timezone.now() - timedelta(hours=3)
    PendingImport.objects.update(created_at=three_hours_ago)
    page = refused(owner_client, confirm(owner_client, SKU_CONFIRM, preview))
    assert NOT_WAITING in page
    assert "a preview is kept 2 hours" in page
    assert not Sku.objects.exists()
    assert import_files_left() == [stored]  # refusing reads and deletes nothing

    os.utime(
        Path(import_storage().location) / stored, (three_hours_ago.timestamp(), three_hours_ago.timestamp())
    )
    upload(owner_client, SKU_IMPORT, account, SKUS)  # any later upload sweeps old previews
    assert stored not in import_files_left()
    assert PendingImport.objects.count() == 1


def test_pressing_confirm_twice_imports_once_and_then_says_so(owner_client, account):
    preview = upload(owner_client, SKU_IMPORT, account, SKUS)
    assert confirm(owner_client, SKU_CONFIRM, preview).status_code == 302
    page = refused(owner_client, confirm(owner_client, SKU_CONFIRM, preview))
    assert NOT_WAITING in page
    assert Sku.objects.count() == 1


def test_a_confirmation_into_another_account_is_refused(owner_client, account, other_account):
    preview = upload(owner_client, SKU_IMPORT, account, SKUS)
    token = preview.context["confirm_form"].initial["import_file_name"]
    page = refused(owner_client, owner_client.post(SKU_CONFIRM, confirmation(token, other_account)))
    assert "You may not import into this account: nothing was imported." in page
    assert not Sku.objects.exists()


def test_a_normal_import_goes_end_to_end_and_leaves_no_file(
    owner_client,
    account,
    temp_folder,
):
    SkuFactory(account=account, sku_id="1", name="Shirt", price_cents=975)
    preview = upload(owner_client, SKU_IMPORT, account, "id,name,price\n1,Shirt,1050\n2,Trousers,15990\n")
    assert "Confirm import" in preview.content.decode()
    [stored] = import_files_left()
    token = preview.context["confirm_form"].initial["import_file_name"]
    assert token != stored and stored not in preview.content.decode()  # the page holds the token only
    assert PendingImport.objects.filter(token=token, file_name=stored).exists()

    done = confirm(owner_client, SKU_CONFIRM, preview)
    assert done.status_code == 302
    assert "Import finished: 1 new, 1 updated" in text(owner_client.get(done["Location"]))
    assert sorted(Sku.objects.values_list("sku_id", "price_cents")) == [("1", 1050), ("2", 15990)]
    assert import_files_left() == []
    assert not PendingImport.objects.exists()
    assert files_in(temp_folder) == []  # the system's temp folder was never used


def test_a_preview_that_fails_keeps_no_file(owner_client, account):
    page = upload(owner_client, SKU_IMPORT, account, "id,name,price\n1,Shirt,-5\n").content.decode()
    assert "Whole cents, 0 or more" in page
    assert import_files_left() == []
    assert not PendingImport.objects.exists()


def test_every_admin_import_goes_through_the_owned_import(settings):
    importing = [
        model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ImportMixin)
    ]
    assert {model_admin.opts.label_lower for model_admin in importing} >= {"catalog.sku", "catalog.stock"}
    for model_admin in importing:
        assert isinstance(model_admin, OwnedImportMixin), model_admin
        assert model_admin.get_tmp_storage_class() is ImportFiles
        assert issubclass(model_admin.confirm_form_class, PendingImportConfirmForm)
    # An admin that forgot the mixin would still keep its files in the app's own storage.
    assert ImportMixin().get_tmp_storage_class() is ImportFiles


@pytest.mark.parametrize("name", ["../victim.csv", "/etc/passwd", "victim.csv", "", None])
def test_import_files_touch_only_names_they_chose(temp_folder, name):
    victim = temp_folder / "victim.csv"
    victim.write_text("keep me")
    files = ImportFiles(name=name)
    with pytest.raises(SuspiciousFileOperation):
        files.read()
    with pytest.raises(SuspiciousFileOperation):
        files.remove()
    assert victim.read_text() == "keep me"


# Exports' files


@pytest.fixture
def ready_export(owner, account):
    """An export of acme's orders, written and ready for its owner."""
    export = Export.objects.create(
        user=owner, list_label="orders.order", title="Orders", accounts=[account.pk], state=Export.State.READY
    )
    path = export_storage().save(f"{export.pk}/orders.csv", ContentFile(b"main_order_id\nACME-SECRET-1\n"))
    Export.objects.filter(pk=export.pk).update(
        file_path=path, file_name="orders.csv", finished_at=timezone.now()
    )
    export.refresh_from_db()
    return export


def test_an_export_is_downloaded_by_its_owner_only(
    client,
    owner,
    viewer,
    oms_full,
    other_account,
    ready_export,
):
    download = f"/admin/exports/export/{ready_export.pk}/download/"
    client.force_login(owner)
    response = client.get(download)
    assert response.status_code == 200
    assert b"ACME-SECRET-1" in b"".join(response.streaming_content)

    for someone in (viewer, oms_full, member(other_account, Role.OWNER, "owner@globex.example")):
        client.force_login(someone)
        for url in (download, f"/admin/exports/export/{ready_export.pk}/"):
            response = client.get(url)
            assert response.status_code == 404, (someone, url)
            assert b"ACME-SECRET-1" not in response.content
    assert export_file(ready_export) == b"main_order_id\nACME-SECRET-1\n"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/exports/export/{pk}/delete/",
        "/admin/exports/export/{pk}/change/",
        "/admin/exports/export/../../{pk}/download/",
        "/admin/exports/export/{path}/download/",
        "/admin/exports/export/download/?path={path}",
    ],
)
def test_no_url_deletes_or_serves_an_export_file_by_its_path(
    client,
    other_account,
    ready_export,
    url,
):
    client.force_login(member(other_account, Role.OWNER, "owner@globex.example"))
    url = url.format(pk=ready_export.pk, path=ready_export.file_path)
    for response in (client.get(url), client.post(url, {"post": "yes"})):
        assert response.status_code == 404, (url, response.status_code)
        assert b"ACME-SECRET-1" not in response.content
    assert export_file(ready_export) == b"main_order_id\nACME-SECRET-1\n"
    ready_export.refresh_from_db()
    assert ready_export.state == Export.State.READY
