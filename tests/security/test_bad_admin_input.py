"""What the admin's own forms, actions and views do with input they cannot use: a clear refusal
in the page, the rows as they were; never a 500.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.utils import timezone

from authorization.models import Account
from tests.factories import UserFactory
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
    url = f"/admin/authorization/account/{account.pk}/change/"
    (form,) = [form for form in forms_in(page(client, url), url) if form.id == "account_form"]
    return form


@pytest.mark.parametrize("who", ["owner", "root"])
def test_an_account_refuses_a_time_zone_that_is_none_and_keeps_its_own(request, client, account, who):
    Account.objects.filter(pk=account.pk).update(time_zone="Asia/Tokyo")
    client.force_login(request.getfixturevalue(who))
    data = account_form(client, account).data("_save") | {"time_zone": ["UTC2"]}

    response = client.post(f"/admin/authorization/account/{account.pk}/change/", data)

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
