"""What the admin's own forms, actions and views do with input they cannot use: a clear refusal
in the page, the rows as they were; never a 500.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Account
from connectors import outbound
from connectors.codes import status_name
from connectors.models import HookAttempt, HookConfig, HookDelivery, Notification, NotificationAttempt
from orders.admin import intake_reprocess as intake_admin
from orders.models import IntakeRecord, Order
from tests.factories import AccountFactory, UserFactory, connector
from tests.orders.payloads import order_body
from tests.support.admin_forms import Form, errors_in, forms_in
from tests.support.pages import markup, messages, page

ATTEMPTS = "/admin/axes/accessattempt/"


@pytest.fixture
def root(db):
    return UserFactory(email="root@example.com", is_superuser=True)


# Failed logins (django-axes) ---------------------------------------------------------------------


def attempt(username: str, age: timedelta) -> AccessAttempt:
    row = AccessAttempt.objects.create(
        username=username, ip_address="203.0.113.9", failures_since_start=3, user_agent="x"
    )
    AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - age)
    return row


def test_cleaning_up_expired_login_attempts_deletes_only_those_past_the_lockout(client, root, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    expired = attempt("old@example.com", timedelta(hours=1))
    recent = attempt("new@example.com", timedelta(minutes=1))
    client.force_login(root)

    response = client.post(
        ATTEMPTS, {"action": "cleanup_expired_attempts", "_selected_action": [recent.pk]}, follow=True
    )

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [recent.username]
    assert messages(response) == [("info", "Cleaned up 1 expired access attempts.")]
    assert expired.username not in response.content.decode()


# An account's time zone --------------------------------------------------------------------------

NOT_A_ZONE = "“UTC2” is not a time zone. Use a name from the IANA time zone database, such as America/Sao_Paulo or UTC."


def account_form(client, account) -> Form:
    url = f"/admin/accounts/account/{account.pk}/change/"
    (form,) = [form for form in forms_in(page(client, url), url) if form.id == "account_form"]
    return form


@pytest.mark.parametrize("who", ["owner", "root"])
def test_an_account_refuses_a_time_zone_that_is_none_and_keeps_its_own(request, client, account, who):
    Account.objects.filter(pk=account.pk).update(time_zone="Asia/Tokyo")
    client.force_login(request.getfixturevalue(who))
    data = account_form(client, account).data("_save") | {"time_zone": ["UTC2"]}

    response = client.post(f"/admin/accounts/account/{account.pk}/change/", data)

    assert errors_in(markup(response)) == {"time_zone": [NOT_A_ZONE]}
    account.refresh_from_db()
    assert account.time_zone == "Asia/Tokyo"


def test_an_account_saves_a_time_zone_chosen_from_the_list(client, account, owner):
    client.force_login(owner)
    form = account_form(client, account)
    assert form.named("time_zone")[0].kind == "select"

    response = client.post(form.url, form.set("time_zone", "America/Sao_Paulo").data("_save"))

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.time_zone == "America/Sao_Paulo"


def test_a_time_zone_written_before_zones_were_checked_is_shown_and_must_be_replaced(client, account, owner):
    """Not silently the list's first zone when another field is saved."""
    Account.objects.filter(pk=account.pk).update(time_zone="UTC2")
    client.force_login(owner)
    form = account_form(client, account)
    assert form.named("time_zone")[0].values() == ["UTC2"]

    response = client.post(form.url, form.set("no_rule_policy", "authorize").data("_save"))

    assert errors_in(markup(response)) == {"time_zone": [NOT_A_ZONE]}
    account.refresh_from_db()
    assert (account.time_zone, account.no_rule_policy) == ("UTC2", "deny")


def test_an_account_created_outside_the_admin_refuses_a_time_zone_that_is_none(db):
    with pytest.raises(ValidationError) as refused:
        Account(name="newco", time_zone="UTC2").full_clean()

    assert refused.value.message_dict == {"time_zone": [NOT_A_ZONE]}
    assert not Account.objects.filter(name="newco").exists()


# The views that act on one row: resend, reprocess, approve … --------------------------------------

OUTBOXES = {"notification": Notification, "hookdelivery": HookDelivery}
KINDS = {**OUTBOXES, "intakerecord": IntakeRecord, "order": Order}
VIEWS = {
    "notification": ["resend"],
    "hookdelivery": ["resend"],
    "intakerecord": ["reprocess"],
    "order": ["approve", "deny", "start-handling", "invoice"],
}
# Views whose GET is a page asking to confirm (POST-only views answer GET with 405).
ASKING_FIRST = {"reprocess"}


@pytest.fixture
def rows(client, mkp, connector_server, other_account):
    """acme's order, its connection order, its failed notification and failed hook delivery (each
    resendable); and a copy of each in another account, and one in a third account, deleted."""
    with mkp.capture(execute=True):
        hook = {"hook": {"url": connector_server.url + "/hook"}}
        client.post("/api/orders/hook/config", data=hook, content_type="application/json", **mkp.headers())
    connector_server.respond_with(*[404] * 10)  # final failures: each row is failed after one try
    mkp.place(order_body())
    found = {name: model.objects.get() for name, model in KINDS.items()}
    assert [found[name].state for name in OUTBOXES] == ["failed", "failed"]
    theirs, _ = connector(other_account, endpoint=connector_server.url, name="Globex market")
    elsewhere = AccountFactory(name="initech")
    gone, _ = connector(elsewhere, endpoint=connector_server.url, name="Initech market")
    for name, row in list(found.items()):
        found[f"{name} of another account"] = copy_of(
            row, account_id=other_account.pk, connector_id=theirs.pk
        )
        deleted = copy_of(row, account_id=elsewhere.pk, connector_id=gone.pk)
        deleted.delete()
        found[f"{name} deleted"] = deleted
    return found


def copy_of(row, **changes):
    """A copy of the row, as it stands, with `changes`; its own unique key (a notification's idempotency key)."""
    fields = {
        field.attname: getattr(row, field.attname)
        for field in row._meta.concrete_fields
        if not (field.primary_key or (field.unique and field.has_default()))
    }
    return type(row).objects.create(**{**fields, **changes})


def rows_as_they_are() -> dict:
    """Every row of the kinds these views act on, with their tries, and the admin's log."""
    watched = [*KINDS.values(), NotificationAttempt, HookAttempt, LogEntry]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in watched}


def row_url(name: str, object_id, view: str) -> str:
    app = KINDS[name]._meta.app_label
    return f"/admin/{app}/{name}/{object_id}/{view}/"


BAD_IDS = ["abc", "99999999999999999999", "-1", "0", "1.5", "_00", "x" * 5000, "9" * 5000, "1/2"]


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("who", ["owner", "root"])
def test_a_view_acting_on_no_row_it_may_see_answers_not_found_and_changes_nothing(
    request, client, rows, name, who, django_capture_on_commit_callbacks
):
    """Ids that are no number, out of any column's range, of a deleted row, of another account's."""
    client.force_login(request.getfixturevalue(who))
    ids = [*BAD_IDS, rows[f"{name} deleted"].pk]
    if who == "owner":
        ids.append(rows[f"{name} of another account"].pk)
    before = rows_as_they_are()

    for view in VIEWS[name]:
        for object_id in ids:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(row_url(name, object_id, view), {"note": "x", "invoice_number": "1"})
            assert response.status_code == 404, (view, object_id)
            asked = client.get(row_url(name, object_id, view)).status_code
            assert asked == (404 if view in ASKING_FIRST else 405), (view, object_id)

    assert rows_as_they_are() == before


def resent(client, name: str, row, capture):
    with capture(execute=True):
        response = client.post(row_url(name, row.pk, "resend"), follow=True)
    assert response.redirect_chain[0][1] == 302
    return messages(response)


def label_of(name: str, row) -> str:
    """How the admin's messages name the row."""
    if name == "notification":
        return f"SOI001 for {row.marketplace_order_id}"
    return f"{row.order.main_order_id} {status_name(row.body['State'])}"


@pytest.mark.parametrize("name", OUTBOXES)
@pytest.mark.parametrize("state", ["delivered", "pending"])
def test_a_row_that_is_not_failed_is_not_resent_and_the_page_says_why(
    client, owner, rows, name, state, django_capture_on_commit_callbacks
):
    row = rows[name]
    OUTBOXES[name].objects.filter(pk=row.pk).update(state=state)
    client.force_login(owner)
    before = rows_as_they_are()

    shown = resent(client, name, row, django_capture_on_commit_callbacks)

    assert rows_as_they_are() == before
    noun = OUTBOXES[name]._meta.verbose_name_plural
    assert shown == [
        ("warning", f"{label_of(name, row)}: not resent, it is {state}; only failed {noun} are.")
    ]


def resent_while(client, name: str, row, capture, monkeypatch, meanwhile):
    """Resend the row from its page, with what another user does at that moment: `meanwhile(resend,
    channel, row, changes)` stands in for the resend itself."""
    resend = outbound.resend
    monkeypatch.setattr(
        outbound, "resend", lambda channel, row, **changes: meanwhile(resend, channel, row, changes)
    )
    return resent(client, name, row, capture)


def resent_by_another_user_first(resend, channel, row, changes):
    resend(channel, row, **changes)
    return resend(channel, row, **changes)


def deleted_once_resent(resend, channel, row, changes):
    """Its connector deleted by another user just after the resend took the row."""
    done = resend(channel, row, **changes)
    type(row).objects.filter(pk=row.pk).delete()
    return done


@pytest.mark.parametrize("name", OUTBOXES)
@pytest.mark.parametrize(
    ("meanwhile", "told", "left"),
    [
        # Sent once, by the other user's resend: its first try and one more.
        pytest.param(resent_by_another_user_first, "not resent, it is no longer failed.", [2], id="resent"),
        pytest.param(deleted_once_resent, "resent, but it was deleted meanwhile.", [], id="deleted"),
    ],
)
def test_a_row_another_user_resends_or_deletes_meanwhile_is_told_as_it_stands(
    client, owner, rows, name, meanwhile, told, left, monkeypatch, django_capture_on_commit_callbacks
):
    row = rows[name]
    client.force_login(owner)

    shown = resent_while(client, name, row, django_capture_on_commit_callbacks, monkeypatch, meanwhile)

    assert ("warning", f"{label_of(name, row)}: {told}") in shown
    assert [row.attempts.count() for row in OUTBOXES[name].objects.filter(pk=row.pk)] == left


def test_a_hook_delivery_whose_hook_was_deleted_is_not_resent_and_the_page_says_why(
    client, owner, rows, shop, django_capture_on_commit_callbacks
):
    row = rows["hookdelivery"]
    HookConfig.objects.filter(connector=shop.connector).delete()
    client.force_login(owner)
    before = rows_as_they_are()

    shown = resent(client, "hookdelivery", row, django_capture_on_commit_callbacks)

    assert rows_as_they_are() == before
    assert shown == [
        ("warning", f"{label_of('hookdelivery', row)}: not resent, SkyHub (MKP) has no hook any more.")
    ]


def test_a_connection_order_deleted_as_it_is_reprocessed_is_said_to_be_gone(
    client, owner, mkp, monkeypatch, django_capture_on_commit_callbacks
):
    mkp.place(order_body(marketplaceOrderId="R1", items=[{"id": "404", "price": 975, "quantity": 1}]))
    intake = IntakeRecord.objects.get(marketplace_order_id="R1")
    assert intake.status == "rejected"  # no such SKU: reprocessable
    reprocess = intake_admin.intake_reprocess

    def deleted_once_reprocessed(**arguments):
        """Its connector deleted by another user just after the reprocessing took the record."""
        done = reprocess(**arguments)
        IntakeRecord.objects.filter(pk=intake.pk).delete()
        return done

    monkeypatch.setattr(intake_admin, "intake_reprocess", deleted_once_reprocessed)
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(row_url("intakerecord", intake.pk, "reprocess"), {"confirm": "1"}, follow=True)

    assert ("warning", "MKP R1: sent for reprocessing, but it was deleted meanwhile.") in messages(response)
    assert not IntakeRecord.objects.filter(pk=intake.pk).exists()


# The lists' actions --------------------------------------------------------------------------------

NOT_IN_THE_LIST = "The selection holds a row this list does not have, so nothing was changed."
ACTIONS = [
    ("orders/waitingorder", "approve_selected"),
    ("orders/waitingorder", "deny_selected"),
    ("orders/intakerecord", "reprocess"),
    ("connectors/notification", "resend"),
    ("connectors/hookdelivery", "resend"),
    ("axes/accessattempt", "cleanup_expired_attempts"),
]


@pytest.mark.parametrize(("path", "action"), ACTIONS)
def test_an_action_on_a_row_no_row_can_be_is_refused_with_a_message_and_changes_nothing(
    client, root, rows, path, action, django_capture_on_commit_callbacks
):
    """A word, a digit Python reads but no number is, a number too long; and with a row that is."""
    client.force_login(root)
    before = rows_as_they_are()

    for selected in (["abc"], ["²"], ["9" * 5000], [str(rows["notification"].pk), "abc"]):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/admin/{path}/", {"action": action, "_selected_action": selected, "index": "0"}, follow=True
            )
        assert response.redirect_chain == [(f"/admin/{path}/", 302)], selected
        assert messages(response) == [("error", NOT_IN_THE_LIST)], selected

    assert rows_as_they_are() == before
