"""Fill a database as an installation of the pinned commit would have it (run inside that commit's tree).

Not a test module: `test_upgrade.py` copies it into the tree `git archive` extracted at
`PINNED_COMMIT` and runs it there, with that commit's code and settings, against an empty
database. It migrates, then writes every kind of row through that code's own commands and
services: the demo account (`load_demo`), a franchise account and an OMS Full user with a token
(`create_account`, `create_user`), a member added from the team screen, a rule change, a feed and a
hook, orders in every status (approved, denied, handled, invoiced, canceled, still waiting), and
an export with its file. It prints, as its last line, the JSON of what the check reads back.

It speaks the pinned commit's names (`authorization.services` …) on purpose: it is that
commit's installation, and stays valid however the code moves afterwards.
"""

import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from authorization.approvals import order_approve, order_deny  # noqa: E402
from authorization.decision import Action, Band  # noqa: E402
from authorization.management.commands.load_demo import ACCOUNT, OWNER, _parse  # noqa: E402
from authorization.models import Account  # noqa: E402
from authorization.roles import Role  # noqa: E402
from authorization.selectors import user_by_email  # noqa: E402
from authorization.services import member_add, rule_replace  # noqa: E402
from connectors.feed import feed_configure, hook_configure  # noqa: E402
from connectors.models import Connector  # noqa: E402
from orders.models import Order  # noqa: E402
from orders.services import SYSTEM, order_cancel, order_invoice, order_start_handling  # noqa: E402
from orders.statuses import OrderStatus  # noqa: E402
from tests.connector_server import start_connector_server  # noqa: E402


def main(work: Path) -> dict:
    call_command("migrate", verbosity=0)

    # The demo: its account, Owner, two Approvers and a Viewer with passwords, a connector, a
    # catalog, a rule with its first revision, and eight orders posted by the connector.
    # Eager tasks (the caller's environment) process them as the worker would. The connector is
    # configured with a feed and a hook before its orders go on, so their events reach both.
    server = start_connector_server()
    credentials_file = work / "demo-credentials.txt"
    call_command("load_demo", credentials_file=str(credentials_file), stdout=io.StringIO())
    credentials = _parse(credentials_file.read_text())
    account = Account.objects.get(name=ACCOUNT)
    owner = user_by_email(email=OWNER)
    connector = Connector.objects.get(account=account)
    statuses = [choice.value for choice in OrderStatus]
    feed_configure(
        connector=connector, statuses=statuses, visibility_timeout_seconds=60, retention_seconds=86400
    )
    hook_configure(connector=connector, statuses=statuses, url=server.url, headers={"X-Upgrade": "yes"})

    call_command("create_account", "demo-outlet", parent=ACCOUNT, order_prefix="OUT", stdout=io.StringIO())
    oms_out = io.StringIO()
    call_command(
        "create_user",
        "oms@demo.example",
        account=ACCOUNT,
        role=Role.OMS_FULL,
        password="upgrade-oms-password",
        token=True,
        stdout=oms_out,
    )
    oms_token = oms_out.getvalue().strip().splitlines()[-1]
    member_add(email="new@demo.example", account=account, role=Role.VIEWER, actor=owner, initial_password="x")

    # A second revision of the rule: the held band's approvers in the other order.
    rule_replace(
        account=account,
        bands=[
            Band(Decimal(0), Decimal(5), Action.AUTHORIZE),
            Band(Decimal(5), Decimal(20), Action.MANUAL, ("bo@demo.example", "ana@demo.example"), 90),
            Band(Decimal(20), Decimal(100), Action.DENY),
        ],
        actor=owner,
    )

    def order(marketplace_order_id: str) -> Order:
        return Order.objects.get(account=account, marketplace_order_id=marketplace_order_id)

    ana, bo = user_by_email(email="ana@demo.example"), user_by_email(email="bo@demo.example")
    order_approve(order=order("100003"), approver=ana, note="Known customer.")  # → payment pending
    order_approve(order=order("100004"), approver=ana)  # marketplace approved → ready for handling
    order_deny(order=order("100005"), approver=bo, reason_code="price-error", note="Price typo.")
    order_start_handling(order=order("100001"), actor=SYSTEM)
    order_start_handling(order=order("100007"), actor=SYSTEM)
    order_invoice(order=order("100007"), actor=SYSTEM, invoice_number="NF-1")
    order_cancel(order=order("100002"), actor=SYSTEM, reason="Customer asked.")
    server.stop()

    browser = Client()
    browser.force_login(owner)
    # The Owner changes the account's time zone in the admin: an entry in the admin's log.
    changed = browser.post(
        f"/admin/authorization/account/{account.pk}/change/",
        {"no_rule_policy": "deny", "overpayment_is_divergence": "on", "time_zone": "America/Sao_Paulo"},
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]

    # An export of the order list, started as the Owner's button does and written by the (eager) worker.
    started = browser.post("/admin/exports/export/start/", {"list": "orders.order", "query": ""})
    assert started.status_code == 302, started.status_code

    return {
        "account": ACCOUNT,
        "owner": OWNER,
        "owner_token": credentials["Token"],
        "oms_token": oms_token,
        "app_key": credentials["X-VTEX-API-AppKey"],
        "app_token": credentials["X-VTEX-API-AppToken"],
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
