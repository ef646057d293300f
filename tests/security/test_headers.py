"""Security headers on every kind of answer: admin pages, the APIs, the API docs.

Every answer carries the Content-Security-Policy (everything from this site, scripts and styles
written in a page only with the request's nonce, never framed), nosniff, a same-origin referrer
policy, X-Frame-Options DENY and a same-origin opener policy; over HTTPS with the deploy
settings, HSTS and cookies sent over HTTPS only. The pages' HTML is checked too: no script,
style or event handler written in a page escapes the policy (the browser tests run it for real).
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.models import Account
from authorization.models import ApprovalTask
from orders.decision_links import decision_link_url
from orders.models import Order
from tests.factories import PASSWORD
from tests.insight.conftest import DASHBOARD, placed, rule  # noqa: F401 (fixtures)
from tests.support.rule_editor import rule_url

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
POLICY = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(response) -> dict[str, list[str]]:
    """Return the Content-Security-Policy of a response, directive by directive."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def assert_secure_headers(response, *, page: bool):
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.request["PATH_INFO"])
    if page:
        assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin"
    policy = policy_of(response)
    for directive, value in POLICY.items():
        assert policy.get(directive) == [value], (directive, policy)
    for directive in ("script-src", "default-src"):
        assert "'unsafe-inline'" not in policy.get(directive, []), policy
        assert "'unsafe-eval'" not in policy.get(directive, []), policy


class WrittenInPage(HTMLParser):
    """Collect what the policy would refuse: scripts and styles without the nonce, handlers, style attributes."""

    def __init__(self, nonce: str | None):
        super().__init__()
        self.nonce = nonce
        self.refused = []
        self.open_tag = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attributes.items():
            if name.startswith("on"):
                self.refused.append(f"<{tag} {name}=…>")
            if name == "style":
                self.refused.append(f'<{tag} style="{value}">')
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.refused.append(f"<{tag} {name}={value}>")
        inline = (tag == "script" and "src" not in attributes) or tag == "style"
        if inline and (self.nonce is None or attributes.get("nonce") != self.nonce):
            self.refused.append(f"<{tag}> without the nonce")


def refused_in(response) -> list[str]:
    script_src = policy_of(response).get("script-src", [])
    nonces = [value[len("'nonce-") : -1] for value in script_src if value.startswith("'nonce-")]
    parser = WrittenInPage(nonces[0] if nonces else None)
    parser.feed(response.content.decode())
    return parser.refused


@pytest.fixture
def pages(owner, account, placed):  # noqa: F811 (fixture)
    """The admin's pages of every kind, with data on them."""
    held = Order.objects.get(marketplace_order_id="M1")
    editor = rule_url("editor", account)
    return [
        "/admin/",
        "/admin/password_change/",
        "/admin/orders/order/",
        f"/admin/orders/order/{held.pk}/change/",
        f"/admin/orders/order/{held.pk}/history/",
        "/admin/orders/waitingorder/",
        "/admin/insight/decisionrecord/",
        DASHBOARD,
        editor,
        f"/admin/accounts/account/{account.pk}/change/",
        "/admin/accounts/membership/",
        "/admin/accounts/membership/add/",
        "/admin/connectors/connector/",
        f"/admin/connectors/connector/{held.connector_id}/change/",
        "/admin/catalog/sku/",
        "/admin/catalog/sku/import/",
        "/admin/exports/export/",
    ]


def test_every_kind_of_admin_page_has_the_headers_and_nothing_the_policy_refuses(client, owner, pages):
    client.force_login(owner)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_secure_headers(response, page=True)
        assert refused_in(response) == [], url


def test_the_admin_pages_give_their_scripts_and_styles_the_nonce_of_the_request(client, owner, pages):
    client.force_login(owner)
    first, second = client.get("/admin/orders/order/"), client.get("/admin/orders/order/")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in first.content.decode()  # the change list's own <style>
    assert nonce not in second.headers["Content-Security-Policy"]  # a new one every time


def test_the_decision_links_page_has_the_headers_and_keeps_its_address_to_itself(held_order, settings):
    """The page an e-mailed link opens, signed in as nobody: its address holds the token, so no
    cache stores it, no search engine keeps it, and no other site gets it as the referrer."""
    settings.SITE_URL = "http://testserver"
    Account.objects.filter(pk=held_order.account_id).update(email_decisions=True)
    url = decision_link_url(task=ApprovalTask.objects.get(order=held_order), email="ana@acme.example")
    response = Client().get(url.removeprefix(settings.SITE_URL))
    assert response.status_code == 200
    assert_secure_headers(response, page=True)
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert refused_in(response) == []


def test_the_login_page_has_the_headers(client):
    response = client.get("/admin/login/")
    assert_secure_headers(response, page=True)
    assert refused_in(response) == []


def test_the_api_docs_have_the_headers_and_load_nothing_from_elsewhere(client):
    for url in ("/api/docs", "/api/redoc"):
        response = client.get(url)
        assert response.status_code == 200
        assert_secure_headers(response, page=True)
        page = response.content.decode()
        assert re.findall(r'(?:src|href)="(https?:)?//', page) == [], url  # the app's own files only
        assert "/static/drf_spectacular_sidecar/" in page
    # Swagger UI starts from a script of its own: nothing in its page for the policy to refuse.
    assert refused_in(client.get("/api/docs")) == []
    script = client.get("/api/docs?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def test_redoc_alone_may_write_styles_in_its_page_never_scripts(client):
    policy = policy_of(client.get("/api/redoc"))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy_of(client.get("/admin/login/"))["style-src"][0:1] == ["'self'"]
    assert "'unsafe-inline'" not in policy_of(client.get("/admin/login/"))["style-src"]


def test_the_api_answers_have_the_headers(client, owner, api_client_for, mkp):
    response = api_client_for(owner).get("/api/orders")
    assert response.status_code == 200
    assert_secure_headers(response, page=False)
    refused = client.get("/api/orders")  # no token: refused, with the same headers
    assert refused.status_code == 401
    assert_secure_headers(refused, page=False)
    schema = client.get("/api/schema")
    assert_secure_headers(schema, page=False)


def test_with_the_deploy_settings_https_is_required_and_cookies_go_over_https_only(client, owner, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    plain = client.get("/admin/login/")
    assert (plain.status_code, plain["Location"]) == (301, "https://testserver/admin/login/")

    page = client.get("/admin/login/", secure=True)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert_secure_headers(page, page=True)
    assert page.cookies["csrftoken"]["secure"] is True
    login = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": owner.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value,
        },
        secure=True,
    )
    assert login.status_code == 302
    assert login.cookies["sessionid"]["secure"] is True
    assert login.cookies["sessionid"]["httponly"] is True
    api = client.get("/api/schema", secure=True)
    assert api.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_with_the_settings_of_bin_run_nothing_asks_for_https(client, settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
