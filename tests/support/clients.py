"""Clients of the app as its users hold them: a browser per person, an API client per token."""

import json

from django.test import Client
from rest_framework.test import APIClient

from accounts.services import token_issue


def client_for(user=None) -> Client:
    """A browser of its own (its own cookies and session), logged in as `user`; anonymous for None."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_client_for(user) -> APIClient:
    """An API client of its own, sending a token issued to `user`."""
    client = APIClient()
    client.credentials(**token_header(token_issue(user=user)))
    return client


def token_header(token: str) -> dict:
    """The header a seller's API call carries its token in."""
    return {"HTTP_AUTHORIZATION": f"Token {token}"}


def connector_headers(credentials) -> dict:
    """The headers a connector authenticates with (`credentials` as `connector_create` gives them)."""
    return {
        "HTTP_X_VTEX_API_APPKEY": credentials.app_key,
        "HTTP_X_VTEX_API_APPTOKEN": credentials.app_token,
    }


def seller_decision(token: str, main_order_id: str, action: str):
    """Approve or deny the order through the seller API, as the user of `token`, in a client of its own."""
    body = {} if action == "approve" else {"reasonCode": "other", "note": "Not this one."}
    return Client().post(
        f"/api/orders/{main_order_id}/{action}?an=acme",
        data=json.dumps(body),
        content_type="application/json",
        **token_header(token),
    )


def api_error(response) -> tuple[int, str]:
    """The status and error code of a refusal by the OMS, feed or hook API."""
    return response.status_code, response.json()["error"]["code"]
