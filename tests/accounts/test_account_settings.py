"""The account's settings in the seller API and the admin: every member reads them, and only an Owner
turns decisions from the e-mail on or off."""

import pytest

from accounts.models import Account
from accounts.roles import Role
from tests.factories import member
from tests.support.admin_forms import forms_in
from tests.support.clients import client_for

URL = "/api/account?an=acme"
NOT_THE_OWNER = "Only an Owner of acme may turn decisions from the e-mail on or off."


@pytest.mark.parametrize("role_fixture", ["owner", "oms_full", "approver", "viewer"])
def test_every_member_reads_the_accounts_settings(request, api_client_for, account, role_fixture):
    response = api_client_for(request.getfixturevalue(role_fixture)).get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "account": "acme",
        "currency": "BRL",
        "timeZone": "UTC",
        "noRulePolicy": "deny",
        "overpaymentIsDivergence": True,
        "emailDecisions": False,
    }


def test_the_owner_turns_decisions_from_the_email_on_and_off(api_client_for, owner, account):
    client = api_client_for(owner)
    response = client.patch(URL, {"emailDecisions": True}, format="json")
    assert response.status_code == 200
    assert response.json()["emailDecisions"] is True
    assert client.get(URL).json()["emailDecisions"] is True
    assert client.patch(URL, {"emailDecisions": False}, format="json").json()["emailDecisions"] is False
    account.refresh_from_db()
    assert account.email_decisions is False


@pytest.mark.parametrize("role_fixture", ["oms_full", "approver", "viewer"])
def test_no_one_but_the_owner_changes_it(request, api_client_for, account, role_fixture):
    response = api_client_for(request.getfixturevalue(role_fixture)).patch(
        URL, {"emailDecisions": True}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": NOT_THE_OWNER, "errors": []}
    account.refresh_from_db()
    assert account.email_decisions is False


def test_an_owner_of_another_account_neither_reads_nor_changes_it(api_client_for, account, other_account):
    stranger = api_client_for(member(other_account, Role.OWNER, "boss@globex.example"))
    assert stranger.get(URL).status_code == 403
    response = stranger.patch(URL, {"emailDecisions": True}, format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "You have no access to account 'acme'."
    account.refresh_from_db()
    assert account.email_decisions is False


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"emailDecisions": "true"}, [{"field": "emailDecisions", "message": "true or false is required."}]),
        ({"emailDecisions": 1}, [{"field": "emailDecisions", "message": "true or false is required."}]),
        (
            {"emailDecisions": True, "currency": "USD"},
            [{"field": "currency", "message": "Not a setting this API changes: only emailDecisions."}],
        ),
        (
            [True],
            [{"field": None, "message": "Invalid data. Expected a dictionary, but got list."}],
        ),
    ],
)
def test_a_bad_body_is_refused_by_field_and_changes_nothing(api_client_for, owner, account, body, errors):
    response = api_client_for(owner).patch(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "The request has errors.", "errors": errors}
    account.refresh_from_db()
    assert (account.email_decisions, account.currency) == (False, "BRL")


def test_an_empty_patch_changes_nothing_and_is_still_the_owners(api_client_for, owner, approver, account):
    response = api_client_for(owner).patch(URL, {}, format="json")
    assert (response.status_code, response.json()["emailDecisions"]) == (200, False)
    assert api_client_for(approver).patch(URL, {}, format="json").status_code == 403
    account.refresh_from_db()
    assert account.email_decisions is False


def account_page_checkbox(user, account):
    url = f"/admin/accounts/account/{account.pk}/change/"
    page = client_for(user).get(url)
    assert page.status_code == 200
    (form,) = [form for form in forms_in(page.content.decode(), url) if form.id == "account_form"]
    return form, page.content.decode()


def test_the_owner_turns_it_on_in_the_admin(owner, account):
    form, _ = account_page_checkbox(owner, account)
    response = client_for(owner).post(form.url, form.set("email_decisions", "on").data("_save"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.email_decisions is True


def test_oms_full_sees_it_in_the_admin_and_cannot_change_it(oms_full, account):
    Account.objects.filter(pk=account.pk).update(email_decisions=True)
    form, html = account_page_checkbox(oms_full, account)
    assert form.named("email_decisions") == []  # shown as text, not a control
    assert "Decisions from the e-mail" in html
    data = form.data("_save") | {"email_decisions": ""}
    assert client_for(oms_full).post(form.url, data).status_code == 302
    account.refresh_from_db()
    assert account.email_decisions is True
