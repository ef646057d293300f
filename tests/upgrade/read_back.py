"""Read an upgraded database back through today's interfaces (run by `test_upgrade.py` in a process of its own).

Not a test module: it runs with today's code and settings against the database `fill.py` filled
at the pinned commit and today's migrations upgraded, and prints, as JSON, what the seller API,
the connector API and the admin answered: `test_upgrade.py` compares it with the rows.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def _json(response) -> dict:
    body = response.json() if response.get("Content-Type", "").startswith("application/json") else None
    return {"status": response.status_code, "body": body}


def _page(response) -> dict:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return {
        "status": response.status_code,
        "url": response.request["PATH_INFO"],
        "redirects": [url for url, _ in getattr(response, "redirect_chain", [])],
        "text": content.decode(errors="replace"),
    }


def main(handles: dict, orders: list[dict], export_ids: list[int], account_id: int) -> dict:
    setup_test_environment()
    an = {"an": handles["account"]}
    seller = Client(HTTP_AUTHORIZATION=f"Token {handles['owner_token']}")
    oms_full = Client(HTTP_AUTHORIZATION=f"Token {handles['oms_token']}")
    connector = Client(
        HTTP_X_VTEX_API_APPKEY=handles["app_key"], HTTP_X_VTEX_API_APPTOKEN=handles["app_token"]
    )
    owner = Client()
    owner.force_login(get_user_model().objects.get(username=handles["owner"]))

    answers = {
        "seller_orders": _json(seller.get("/api/orders", {**an, "page_size": 100})),
        "seller_order": {
            order["main_order_id"]: _json(oms_full.get(f"/api/orders/{order['main_order_id']}", an))
            for order in orders
        },
        "rule": _json(seller.get("/api/authorization/price-divergence-rule", an)),
        "rule_history": _json(seller.get("/api/authorization/price-divergence-rule/history", an)),
        "connector_order": {
            order["main_order_id"]: _json(connector.get(f"/api/oms/pvt/orders/{order['main_order_id']}", an))
            for order in orders
        },
        "admin": {},
    }
    pages = [
        "/admin/",
        "/admin/orders/order/",
        *(f"/admin/orders/order/{order['id']}/change/" for order in orders),
        "/admin/orders/waitingorder/",
        f"/admin/authorization/account/{account_id}/change/",
        "/admin/authorization/membership/",
        "/admin/authorization/pricedivergencerule/",
        "/admin/insight/decisionrecord/",
        "/admin/connectors/notification/",
        "/admin/exports/export/",
        *(f"/admin/exports/export/{export_id}/download/" for export_id in export_ids),
    ]
    for path in pages:
        answers["admin"][path] = _page(owner.get(path, follow=True))
    return answers


if __name__ == "__main__":
    arguments = json.loads(sys.stdin.read())
    print(json.dumps(main(**arguments)))
