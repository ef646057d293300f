"""Logins lock without telling who exists; every form that changes something needs its CSRF token,
the API too when a browser's session calls it; production answers carry the hardening headers.

`tests/config/test_security.py` has the lockout itself, one admin form's CSRF check and
`check --deploy`; these go further.
"""

import json
import re

import pytest
from django.test import Client

from authorization.models import ApprovalTask
from catalog.models import Sku
from connectors.models import Connector
from tests.factories import PASSWORD


@pytest.mark.login_lockout
def test_a_lockout_answers_the_same_whether_the_user_exists_or_not(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    answers = {}
    for username in (owner.username, "nobody@acme.example"):
        for _ in range(3):
            response = client.post("/admin/login/", {"username": username, "password": "wrong"})
        # The page's CSP nonce is new on every answer; all else must be the same.
        answers[username] = (response.status_code, re.sub(rb'nonce="[^"]*"', b'nonce=""', response.content))
    assert answers[owner.username] == answers["nobody@acme.example"]
    assert answers[owner.username][0] == 429


@pytest.mark.login_lockout
def test_a_lockout_holds_for_one_user_from_one_address(client, owner, viewer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(
            "/admin/login/", {"username": owner.username, "password": "wrong"}, REMOTE_ADDR="203.0.113.7"
        )
    locked = client.post(
        "/admin/login/?next=/admin/",
        {"username": owner.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert locked.status_code == 429
    elsewhere = Client().post(
        "/admin/login/?next=/admin/",
        {"username": owner.username, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.1",
    )
    assert elsewhere.status_code == 302
    someone_else = Client().post(
        "/admin/login/?next=/admin/",
        {"username": viewer.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert someone_else.status_code == 302


def csrf_cases(order, account, connector):
    return [
        (f"/admin/orders/order/{order.pk}/approve/", {}),
        (f"/admin/orders/order/{order.pk}/deny/", {"reason_code": "other", "note": "Forged."}),
        ("/admin/orders/waitingorder/", {"action": "approve_selected", "_selected_action": [order.pk]}),
        (
            f"/admin/authorization/pricedivergencerule/account/{account.pk}/",
            {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "0",
                "form-0-lower_percent": "0",
                "form-0-upper_percent": "100",
                "form-0-action": "authorize",
            },
        ),
        (f"/admin/connectors/connector/{connector.pk}/rotate-token/", {}),
        (
            "/admin/catalog/sku/add/",
            {"account": account.pk, "sku_id": "forged", "name": "Forged", "price_cents": 1},
        ),
        ("/admin/logout/", {}),
    ]


def test_every_form_that_changes_something_needs_its_csrf_token(held_order, owner, approver, shop):
    digest = Connector.objects.get(pk=shop.connector.pk).app_token_digest
    bands = list(held_order.account.price_divergence_rule.bands.values_list("upper_percent", "action"))
    for user in (approver, owner):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        for url, data in csrf_cases(held_order, held_order.account, shop.connector):
            response = browser.post(url, data)
            assert response.status_code == 403, (user.email, url, response.status_code)
            assert b"CSRF verification failed" in response.content
    assert ApprovalTask.objects.get(order=held_order).decision == ""
    assert (
        list(held_order.account.price_divergence_rule.bands.values_list("upper_percent", "action")) == bands
    )
    assert Connector.objects.get(pk=shop.connector.pk).app_token_digest == digest
    assert not Sku.objects.filter(sku_id="forged").exists()


def test_a_browsers_session_decides_through_the_api_only_with_the_csrf_token(held_order, approver):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(approver)
    url = "/api/orders/MKP-123456789/approve?an=acme"
    forged = browser.post(url, data=json.dumps({}), content_type="application/json")
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["message"]
    assert ApprovalTask.objects.get(order=held_order).decision == ""

    browser.get(f"/admin/orders/order/{held_order.pk}/change/")  # sets the CSRF cookie, as any form does
    token = browser.cookies["csrftoken"].value
    allowed = browser.post(url, data=json.dumps({}), content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200
    assert ApprovalTask.objects.get(order=held_order).decision == "approved"


def test_production_answers_carry_the_hardening_headers_and_secure_cookies(client, owner, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    login = client.get("/admin/login/", secure=True)
    assert bool(login.cookies["csrftoken"]["secure"])
    response = client.post(
        "/admin/login/?next=/admin/", {"username": owner.username, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    session = response.cookies["sessionid"]
    assert (bool(session["secure"]), bool(session["httponly"]), session["samesite"]) == (True, True, "Lax")
