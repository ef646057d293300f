"""The exports in the reader's language; the CSV's money in integer cents beside its currency."""

from django.utils import translation

from exports.models import Export
from exports.tasks import write_export
from tests.exports.conftest import DECISIONS, ORDERS, downloaded
from tests.support.i18n import english_left, outside_the_sidebar
from tests.support.pages import markup

EXPORTS = "/admin/exports/export/"


def test_the_csv_keeps_cents_and_names_their_currency(client, viewer, placed, account):
    account.currency = "ARS"
    account.save()
    client.force_login(viewer)

    header, rows = downloaded(client.get(f"{ORDERS}export.csv"))
    at = header.index("seller_value_cents")
    assert header[at + 1] == "currency"
    assert {row["currency"] for row in rows} == {"ARS"}
    assert rows[0]["paid_value_cents"] == "2571"

    header, rows = downloaded(client.get(f"{DECISIONS}export.csv"))
    assert header[-3:] == ["paid_value_cents", "seller_value_cents", "currency"]
    assert {row["currency"] for row in rows} == {"ARS"}


def test_the_exports_list_and_page_speak_the_readers_language(client, viewer, placed, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    client.force_login(viewer)
    client.post(f"{EXPORTS}start/", {"list": "insight.decisionrecord", "query": ""})
    export = Export.objects.latest("pk")

    for accept, language, words in (
        ("pt-BR", "pt_BR", "Aguardando início"),
        ("es", "es", "Esperando inicio"),
    ):
        listing = markup(client.get(EXPORTS, HTTP_ACCEPT_LANGUAGE=accept))
        assert english_left(outside_the_sidebar(listing), language) == []
        assert words in listing
        progress = markup(client.get(f"{EXPORTS}{export.pk}/", HTTP_ACCEPT_LANGUAGE=accept))
        assert english_left(outside_the_sidebar(progress), language) == []


def test_why_an_export_failed_is_said_in_the_readers_language(client, viewer, placed, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    client.force_login(viewer)
    client.post(f"{EXPORTS}start/", {"list": "insight.decisionrecord", "query": ""})
    export = Export.objects.latest("pk")
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.FAILED, error="viewer@acme.example may no longer see this list."
    )

    page = markup(client.get(f"{EXPORTS}{export.pk}/", HTTP_ACCEPT_LANGUAGE="pt-BR"))

    assert "Falhou: viewer@acme.example não pode mais ver esta lista." in page
    assert english_left(outside_the_sidebar(page), "pt_BR") == []
    english = markup(client.get(f"{EXPORTS}{export.pk}/"))
    assert "Failed: viewer@acme.example may no longer see this list." in english


def test_a_file_written_in_the_background_speaks_the_language_its_list_was_read_in(
    client, viewer, placed, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    client.force_login(viewer)
    client.post(f"{EXPORTS}start/", {"list": "orders.order", "query": ""}, HTTP_ACCEPT_LANGUAGE="pt-BR")
    export = Export.objects.latest("pk")

    with translation.override(settings.LANGUAGE_CODE):  # a worker's: it has no reader
        write_export(export.pk)

    _, rows = downloaded(client.get(f"{EXPORTS}{export.pk}/download/"))
    settings.EXPORT_INLINE_MAX_ROWS = 100
    _, read_in_portuguese = downloaded(client.get(ORDERS + "export.csv", HTTP_ACCEPT_LANGUAGE="pt-BR"))
    _, read_in_english = downloaded(client.get(ORDERS + "export.csv"))
    words = [row["divergence_explained"] for row in rows]
    assert words == [row["divergence_explained"] for row in read_in_portuguese]
    assert words != [row["divergence_explained"] for row in read_in_english]
