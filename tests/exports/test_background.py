"""Exporting a long list in the background: offered, written by a worker with progress, downloaded, deleted."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Account, Membership
from accounts.roles import Role
from accounts.services import membership_remove, membership_set
from exports.models import Export
from exports.services import MAX_ATTEMPTS, export_run, exports_expire, exports_sweep
from exports.tasks import sweep_exports, write_export
from tests.exports.conftest import ORDERS, downloaded, read_csv
from tests.factories import member
from tests.support.pages import text

EXPORTS = "/admin/exports/export/"


@pytest.fixture
def short_lists(settings):
    """Stream at most two rows in the request."""
    settings.EXPORT_INLINE_MAX_ROWS = 2


def start(client, query="", label="orders.order", capture=None):
    """Ask for the background export as the offer page's button does; return the export."""
    response = client.post(f"{EXPORTS}start/", {"list": label, "query": query})
    assert response.status_code == 302, response.status_code
    export = Export.objects.latest("pk")
    assert response["Location"] == f"{EXPORTS}{export.pk}/"
    return export


def test_a_long_list_is_offered_written_by_a_worker_with_progress_and_downloaded(
    client, viewer, placed, short_lists, django_capture_on_commit_callbacks, account
):
    account.time_zone = "America/Sao_Paulo"
    account.save()
    client.force_login(viewer)
    assert len(downloaded(client.get(f"{ORDERS}export.csv?outcome=no-divergence"))[1]) == 2  # short: at once

    year = timezone.now().year
    offer = client.get(f"{ORDERS}export.csv?created_at__year={year}&p=2")
    assert "The list holds more than 2 orders: too many to download at once." in text(offer)
    assert f'<input type="hidden" name="query" value="created_at__year={year}">' in offer.content.decode()
    assert not Export.objects.exists()  # looking changes nothing

    with django_capture_on_commit_callbacks() as queued:
        export = start(client, f"created_at__year={year}")
    assert len(queued) == 1  # the worker's task, once the export is committed
    assert (export.state, export.user, export.accounts) == ("pending", viewer, [account.pk])
    waiting = client.get(f"{EXPORTS}{export.pk}/")
    assert "Waiting for a worker to start it." in text(waiting)
    assert '<meta http-equiv="refresh" content="2">' in waiting.content.decode()  # it follows, without script

    write_export(export.pk)

    export.refresh_from_db()
    assert (export.state, export.total, export.done) == ("ready", 4, 4)
    ready = client.get(f"{EXPORTS}{export.pk}/")
    assert "Ready: 4 orders." in text(ready)
    assert "refresh" not in ready.content.decode()
    assert f'href="{EXPORTS}{export.pk}/download/"' in ready.content.decode()
    zone = ZoneInfo(Account.objects.get(name="acme").time_zone)  # the viewer's account's, as every time
    kept = (export.finished_at + timedelta(hours=24)).astimezone(zone)
    assert f"kept until {date_format(kept, 'SHORT_DATETIME_FORMAT')})" in text(ready)

    header, rows = downloaded(client.get(f"{EXPORTS}{export.pk}/download/"))
    assert "created_at (America/Sao_Paulo)" in header
    assert [row["main_order_id"] for row in rows] == ["MKP-M1", "MKP-A1", "MKP-N2", "MKP-N1"]
    settings.EXPORT_INLINE_MAX_ROWS = 100
    assert (header, rows) == downloaded(client.get(f"{ORDERS}export.csv?created_at__year={year}"))
    assert export.file_name in text(client.get(EXPORTS))  # the user's exports list it


def test_asking_again_while_it_is_written_gives_the_same_export(client, viewer, placed, short_lists):
    client.force_login(viewer)
    first, second = start(client, "q=MKP"), start(client, "q=MKP")
    assert first == second
    assert start(client, "q=MKP-") != first  # another filter is another export


def test_only_its_owner_downloads_it_while_they_may_see_the_account(
    client, owner, viewer, placed, short_lists, globex_orders, other_account
):
    client.force_login(owner)
    export = start(client)
    export_run(export_id=export.pk)
    download = f"{EXPORTS}{export.pk}/download/"
    assert client.get(download).status_code == 200

    for someone in (viewer, member(other_account, Role.OWNER, "owner@globex.example")):
        client.force_login(someone)
        assert client.get(f"{EXPORTS}{export.pk}/").status_code == 404
        assert client.get(download).status_code == 404
        assert "0 exports" in text(client.get(EXPORTS))

    membership_remove(membership=Membership.objects.get(user=owner))
    membership_set(user=owner, account=other_account, role=Role.VIEWER)  # a member elsewhere only
    client.force_login(owner)
    assert client.get(download).status_code == 403
    assert "You may no longer see the rows of every account in this file" in text(
        client.get(f"{EXPORTS}{export.pk}/")
    )


def test_the_file_is_served_by_no_url_but_the_download(client, owner, placed, short_lists, export_files):
    client.force_login(owner)
    export = start(client)
    export_run(export_id=export.pk)
    export.refresh_from_db()
    assert (export_files / export.file_path).is_file()
    assert client.get(f"/{export.file_path}").status_code == 404
    assert client.get(f"/media/{export.file_path}").status_code == 404


def test_a_failure_is_shown_with_its_reason_and_the_export_can_be_asked_again(
    client, viewer, placed, short_lists, export_files
):
    export_files.parent.mkdir(exist_ok=True)
    export_files.write_text("a file where the folder should be")
    client.force_login(viewer)
    export = start(client, "q=MKP")

    export_run(export_id=export.pk)

    export.refresh_from_db()
    assert export.state == "failed"
    page = client.get(f"{EXPORTS}{export.pk}/")
    assert re.search(r"Failed: (FileExistsError|NotADirectoryError): ", text(page))
    assert 'value="Export again"' in page.content.decode()
    export_files.unlink()
    again = start(client, "q=MKP")
    assert again != export
    export_run(export_id=again.pk)
    assert client.get(f"{EXPORTS}{again.pk}/download/").status_code == 200


def test_a_user_who_may_no_longer_see_the_list_gets_a_failed_export(client, viewer, placed, short_lists):
    client.force_login(viewer)
    export = start(client)
    membership_remove(membership=Membership.objects.get(user=viewer))

    export_run(export_id=export.pk)

    export.refresh_from_db()
    assert (export.state, export.error) == ("failed", "viewer@acme.example may no longer see this list.")


def test_files_are_deleted_after_the_retention(client, viewer, placed, short_lists, export_files):
    client.force_login(viewer)
    export = start(client)
    export_run(export_id=export.pk)
    export.refresh_from_db()
    path = export_files / export.file_path

    assert exports_expire(now=export.finished_at + timedelta(hours=23)) == 0
    assert path.is_file()
    assert exports_expire(now=export.finished_at + timedelta(hours=25)) == 1

    assert not path.exists()
    export.refresh_from_db()
    assert (export.state, export.file_path) == ("expired", "")
    page = client.get(f"{EXPORTS}{export.pk}/")
    assert "Deleted: files are kept 24 hours after they are written." in text(page)
    assert 'value="Export again"' in page.content.decode()
    assert client.get(f"{EXPORTS}{export.pk}/download/").status_code == 404
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["exports.tasks.expire_exports"] <= 3600


def test_an_export_lost_with_its_message_or_its_worker_is_written_again_then_given_up(
    client, viewer, placed, short_lists
):
    client.force_login(viewer)
    never_started, silent = start(client, "q=MKP-N"), start(client, "q=MKP-A")
    now = timezone.now()
    Export.objects.filter(pk=never_started.pk).update(created_at=now - timedelta(minutes=2))
    Export.objects.filter(pk=silent.pk).update(
        state="running", attempts=1, heartbeat_at=now - timedelta(minutes=6)
    )

    assert sorted(exports_sweep()) == sorted([never_started.pk, silent.pk])
    assert export_run(export_id=silent.pk).state == "ready"
    assert exports_sweep() == [never_started.pk]

    Export.objects.filter(pk=never_started.pk).update(
        state="running", attempts=MAX_ATTEMPTS, heartbeat_at=now - timedelta(minutes=6)
    )
    assert sweep_exports() == 0
    never_started.refresh_from_db()
    assert never_started.state == "failed"
    assert f"started {MAX_ATTEMPTS} times and never finished" in text(
        client.get(f"{EXPORTS}{never_started.pk}/")
    )


def test_a_running_export_is_not_taken_by_a_second_worker(client, viewer, placed, short_lists):
    client.force_login(viewer)
    export = start(client)
    Export.objects.filter(pk=export.pk).update(state="running", heartbeat_at=timezone.now())
    assert export_run(export_id=export.pk) is None
    assert exports_sweep() == []


def test_the_worker_reads_the_rows_in_one_query_and_reports_progress_as_it_goes(
    client, viewer, placed, short_lists, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exports import services

    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    monkeypatch.setattr(services, "FLUSH_EVERY_ROWS", 1)
    client.force_login(viewer)
    export = start(client)

    with CaptureQueriesContext(connection) as captured:
        export_run(export_id=export.pk)

    statements = [query["sql"] for query in captured]
    order_reads = [sql for sql in statements if 'FROM "orders_order"' in sql and "COUNT(" not in sql]
    progress = [sql for sql in statements if sql.startswith('UPDATE "exports_export"') and '"done"' in sql]
    assert len(order_reads) == 1  # every row in one query, read in chunks (a cursor on PostgreSQL)
    assert len(progress) >= 4  # one per row here, then the last
    assert len(read_csv(b"".join(client.get(f"{EXPORTS}{export.pk}/download/").streaming_content))[1]) == 4


def test_a_member_of_another_account_exports_none_of_these_rows(client, placed, other_account):
    stranger = member(other_account, Role.VIEWER, "stranger@globex.example")
    client.force_login(stranger)
    response = client.post(f"{EXPORTS}start/", {"list": "orders.order", "query": ""})
    assert response.status_code == 302
    export = Export.objects.get()
    export_run(export_id=export.pk)
    assert read_csv(b"".join(client.get(f"{EXPORTS}{export.pk}/download/").streaming_content))[1] == []
    assert client.post(f"{EXPORTS}start/", {"list": "auth.user", "query": ""}).status_code == 404
    assert client.post(f"{EXPORTS}start/", {"list": "nonsense", "query": ""}).status_code == 404
    assert client.get(f"{EXPORTS}start/").status_code == 405
    assert list(Export.objects.values_list("pk", flat=True)) == [export.pk]  # none started by those


def test_a_worker_back_from_silence_changes_nothing_of_the_export_another_wrote(
    client, viewer, placed, short_lists, export_files
):
    from exports import services

    client.force_login(viewer)
    export = start(client)
    assert services._claim(
        export.pk, timezone.now() - timedelta(minutes=10)
    )  # a worker took it, then fell silent
    silent_run = Export.objects.filter(pk=export.pk, state="running", attempts=1)

    assert export_run(export_id=export.pk).state == "ready"  # another took it over and wrote it

    with pytest.raises(services.TakenOver):
        services._write(Export.objects.select_related("user").get(pk=export.pk), silent_run)
    export.refresh_from_db()
    assert (export.state, export.attempts, export.done) == ("ready", 2, 4)
    assert [path.name for path in (export_files / str(export.pk)).iterdir()] == [export.file_name]


def test_deleting_a_user_deletes_the_files_of_their_exports(
    client, viewer, placed, short_lists, export_files, django_capture_on_commit_callbacks
):
    client.force_login(viewer)
    export = start(client)
    export_run(export_id=export.pk)
    export.refresh_from_db()
    path = export_files / export.file_path
    assert path.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        viewer.delete()

    assert not Export.objects.filter(pk=export.pk).exists()
    assert not path.exists()
