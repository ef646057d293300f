"""Absences in the admin: an approver sets their own, the Owner anyone's of their account; nobody
sees or sets another account's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.absences import absence_set
from accounts.models import Absence
from accounts.roles import Role
from tests.factories import band, member
from tests.support.admin_forms import errors_in, forms_in
from tests.support.orders import rule_set
from tests.support.pages import page

LIST = "/admin/accounts/absence/"
ADD = "/admin/accounts/absence/add/"


def moment(when) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def add_form(client):
    (form,) = [form for form in forms_in(page(client, ADD), ADD) if form.id == "absence_form"]
    return form


def options(form, name) -> list[str]:
    (select,) = form.named(name)
    return [option.value for option in select.options if option.value]


@pytest.fixture
def week():
    now = timezone.now().replace(second=0, microsecond=0)
    return now + timedelta(days=1), now + timedelta(days=8)


def test_an_approver_sets_their_own_absence_and_may_name_nobody_else(
    client, account, owner, approver, second_approver, week
):
    client.force_login(approver)
    form = add_form(client)
    assert options(form, "user") == [str(approver.pk)]
    form.set("account", str(account.pk)).set("substitute", str(second_approver.pk))
    form.set("starts_at", moment(week[0])).set("ends_at", moment(week[1]))
    response = client.post(ADD, form.data("_save"))
    assert response.status_code == 302, errors_in(response.content.decode())
    absence = Absence.objects.get()
    assert (absence.user, absence.substitute, absence.created_by) == (approver, second_approver, approver)
    assert (absence.starts_at, absence.ends_at) == week
    listing = page(client, LIST)
    assert "ana@acme.example" in listing and "bo@acme.example" in listing and "to come" in listing
    # Another member's name sent anyway is no choice of theirs.
    form.set("user", str(approver.pk))
    data = form.data("_save") | {"user": [str(second_approver.pk)]}
    assert "user" in errors_in(client.post(ADD, data).content.decode())


def test_the_owner_sets_a_member_s_absence_and_a_refusal_is_the_form_s_error(
    client, account, owner, approver, second_approver, week
):
    rule_set(account, [band(0, 100, "manual", ["ana@acme.example"])])
    client.force_login(owner)
    form = add_form(client)
    assert options(form, "user")[0] == str(owner.pk)  # themselves first
    form.set("user", str(approver.pk)).set("account", str(account.pk))
    form.set("starts_at", moment(week[0])).set("ends_at", moment(week[1]))
    refused = client.post(ADD, form.data("_save"))
    assert errors_in(refused.content.decode()) == {
        "substitute": [
            "ana@acme.example is the only approver left of the band 0.00–100.00 % of the rule. Name a substitute."
        ]
    }
    assert not Absence.objects.exists()
    form.set("substitute", str(second_approver.pk))
    assert client.post(ADD, form.data("_save")).status_code == 302
    assert Absence.objects.get().created_by == owner


def test_deleting_an_absence_ends_it(client, account, approver, second_approver):
    absence = absence_set(
        account=account,
        user=approver,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(days=1),
        substitute=second_approver,
        actor=approver,
    )
    client.force_login(approver)
    response = client.post(f"{LIST}{absence.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Absence.objects.get().ends_at <= timezone.now()


def test_another_account_s_people_neither_see_nor_end_its_absences(
    client, account, approver, second_approver, other_account
):
    absence = absence_set(
        account=account,
        user=approver,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
        substitute=second_approver,
        actor=approver,
    )
    globex_owner = member(other_account, Role.OWNER, "owner@globex.example")
    client.force_login(globex_owner)
    assert "ana@acme.example" not in page(client, LIST)
    assert str(account.pk) not in options(add_form(client), "account")
    assert str(approver.pk) not in options(add_form(client), "user")
    response = client.post(f"{LIST}{absence.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert Absence.objects.filter(pk=absence.pk).exists()
    # A member who is no Owner may not end another's absence either.
    client.force_login(second_approver)
    assert client.post(f"{LIST}{absence.pk}/delete/", {"post": "yes"}).status_code == 403
