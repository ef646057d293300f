"""Load the demo account once and print its credentials (bin/run calls this on every start).

The credentials are kept in `var/demo-credentials.txt` so they can be printed again; when
the file no longer matches the database (a new database, a changed password) the demo
users get new passwords and the connector a new token and signing secret. Rows the demo
already has (the catalog, the rule) are left as they are, so changes made while trying the
app survive.

With DEMO_RECEIVER on (bin/run), the demo connector is called at the app's own receiver
(`demo/receiver.py`), whose calls the admin lists; its endpoint is moved there on every run
unless someone pointed it elsewhere.
"""

import re
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.absences import absence_set
from accounts.models import Absence, Account, ApiToken
from accounts.roles import Role
from accounts.selectors import user_by_email
from accounts.services import (
    account_create,
    membership_set,
    token_digest,
    token_issue,
    user_create,
    user_password_set_by_operator,
)
from authorization.decision import Band, BandAction
from authorization.selectors import rule_of
from authorization.services import rule_replace
from catalog.models import DeliveryChannel, PickupPoint, ShippingPolicy, Sku, Stock, Warehouse
from connectors.contract import body_digest
from connectors.models import Connector, ConnectorType, DeliveryState, Notification
from connectors.notifications import notification_url
from connectors.services import (
    app_token_digest,
    connector_create,
    connector_rotate_token,
    connector_set_secret,
)
from demo.names import ACCOUNT, CONNECTOR_NAME, RECEIVER_PATH
from orders.intake.receive import intake_receive

OWNER = "owner@demo.example"
USERS = (
    (OWNER, Role.OWNER),
    ("ana@demo.example", Role.APPROVER),
    ("bo@demo.example", Role.APPROVER),
    ("viewer@demo.example", Role.VIEWER),
)
CONNECTOR = {"name": CONNECTOR_NAME, "type": ConnectorType.EXTERNAL, "affiliate_id": "MKP"}
# The endpoint without the receiver: nothing listens there, so notifications show as failed
# attempts in the admin, which is also worth seeing.
UNHEARD_ENDPOINT = "http://127.0.0.1:9999/demo-connector"
SECRET = "Signing secret"
# (SKU id, name, unit price in cents, units in stock)
CATALOG = (
    ("1001", "Coffee mug", 2990, 50),
    ("1002", "Cotton T-shirt", 4990, 30),
    ("1003", "Notebook A5", 1590, 100),
    ("1004", "Desk lamp", 12900, 8),
)

_PASSWORD_LINE = re.compile(r"^ +(?P<email>\S+@\S+)\s+password: (?P<password>\S+)", re.MULTILINE)
_VALUE_LINE = re.compile(r"^ +(?P<name>[A-Za-z][A-Za-z -]*): +(?P<value>\S+)$", re.MULTILINE)


def _parse(text: str) -> dict:
    values = {match["name"]: match["value"] for match in _VALUE_LINE.finditer(text)}
    values["passwords"] = {match["email"]: match["password"] for match in _PASSWORD_LINE.finditer(text)}
    return values


def demo_endpoint() -> str:
    """Where the demo connector is called: the app's own receiver when DEMO_RECEIVER is on."""
    if settings.DEMO_RECEIVER:
        return settings.SITE_URL.rstrip("/") + RECEIVER_PATH
    return UNHEARD_ENDPOINT


def _render(*, passwords: dict, app_key: str, app_token: str, secret: str, api_token: str) -> str:
    width = max(len(email) for email, _ in USERS)
    users = "\n".join(
        f"  {email:<{width}}  password: {passwords[email]}  ({Role(role).label})" for email, role in USERS
    )
    return (
        f"Demo account: {ACCOUNT}\n"
        f"\n"
        f"Web admin users:\n{users}\n"
        f"\n"
        f"Connector {CONNECTOR['name']} ({CONNECTOR['type']}, affiliate id {CONNECTOR['affiliate_id']}):\n"
        f"its credentials, and the secret that signs what the app sends it (X-Signature-SHA256):\n"
        f"  X-VTEX-API-AppKey: {app_key}\n"
        f"  X-VTEX-API-AppToken: {app_token}\n"
        f"  {SECRET}: {secret}\n"
        f"\n"
        f"Seller API token of {OWNER} (Authorization: Token ...):\n"
        f"  Token: {api_token}\n"
        f"\n"
        f"Rule: 0-5 % authorize, 5-20 % hold for ana@ then bo@, 20-100 % deny.\n"
        f"Demo orders: {len(DEMO_ORDERS)} posted by the demo marketplace on the first start; some wait\n"
        f"for ana@ or bo@ in the queue.\n"
    )


def _still_valid(stored: dict) -> bool:
    """Whether the stored credentials still open the demo account in this database."""
    if not Account.objects.filter(name=ACCOUNT).exists():
        return False
    users = {user.username: user for user in get_user_model().objects.filter(username__in=dict(USERS))}
    for email, _ in USERS:
        password = stored["passwords"].get(email)
        if email not in users or not password or not users[email].check_password(password):
            return False
    connector = Connector.objects.filter(account__name=ACCOUNT, name=CONNECTOR["name"]).first()
    if connector is None or connector.app_key != stored.get("X-VTEX-API-AppKey"):
        return False
    if connector.app_token_digest != app_token_digest(stored.get("X-VTEX-API-AppToken", "")):
        return False
    try:
        if not connector.has_secret or connector.signing_secret != stored.get(SECRET):
            return False
    except ValueError:  # encrypted under another FIELD_ENCRYPTION_KEY
        return False
    return ApiToken.objects.filter(
        user=users[OWNER], key_digest=token_digest(stored.get("Token", ""))
    ).exists()


def _endpoint_update(connector: Connector) -> None:
    """Point the demo connector at the receiver, unless someone pointed it elsewhere: only an
    endpoint the demo set (where nothing listens, or the receiver under another SITE_URL) moves."""
    wanted = demo_endpoint()
    current = connector.endpoint
    if not settings.DEMO_RECEIVER or current == wanted:
        return
    if current != UNHEARD_ENDPOINT and not current.rstrip("/").endswith(RECEIVER_PATH):
        return
    connector.endpoint = wanted
    try:
        connector.full_clean(validate_unique=False)
    except ValidationError as error:
        raise CommandError(f"The demo connector cannot be called at {wanted}: {error}") from error
    with transaction.atomic():
        connector.save(update_fields=["endpoint"])
        # What is still to be sent goes where the connector now listens.
        Notification.objects.filter(connector=connector, state=DeliveryState.PENDING).update(
            url=notification_url(endpoint=wanted, account_name=ACCOUNT)
        )


def _load_catalog(account: Account) -> None:
    warehouse = Warehouse.objects.create(account=account, warehouse_id="WH1", name="Demo warehouse")
    for sku_id, name, price_cents, quantity in CATALOG:
        sku = Sku.objects.create(
            account=account, sku_id=sku_id, name=name, price_cents=price_cents, sales_channels=["1"]
        )
        Stock.objects.create(account=account, sku=sku, warehouse=warehouse, quantity=quantity)
    store = PickupPoint.objects.create(
        account=account,
        point_id="PP1",
        name="Demo store",
        warehouse=warehouse,
        postal_code="80010-000",
        street="Rua XV de Novembro",
        number="100",
        city="Curitiba",
        state="PR",
        country="BRA",
        latitude=-25.4296,
        longitude=-49.2713,
    )
    normal = ShippingPolicy.objects.create(
        account=account,
        policy_id="Normal",
        delivery_channel=DeliveryChannel.DELIVERY,
        freight_cents=990,
        estimate="5bd",
    )
    normal.warehouses.add(warehouse)
    pickup = ShippingPolicy.objects.create(
        account=account,
        policy_id="Pickup",
        delivery_channel=DeliveryChannel.PICKUP_IN_POINT,
        freight_cents=0,
        estimate="1d",
    )
    pickup.warehouses.add(warehouse)
    pickup.pickup_points.add(store)


# Demo orders: (marketplace order id, [(SKU id, quantity)], how much less the marketplace pays, its status).
DEMO_ORDERS = (
    ("100001", [("1001", 2)], Decimal("0"), "approved"),
    ("100002", [("1002", 1), ("1003", 3)], Decimal("0.03"), "new"),
    ("100003", [("1004", 1)], Decimal("0.08"), "new"),
    ("100004", [("1001", 1), ("1002", 1)], Decimal("0.12"), "approved"),
    ("100005", [("1003", 5)], Decimal("0.18"), "new"),
    ("100006", [("1002", 2)], Decimal("0.35"), "new"),
    ("100007", [("1001", 4)], Decimal("0.01"), "approved"),
    ("100008", [("1004", 1), ("1001", 1)], Decimal("0.15"), "new"),
)


def demo_order_body(marketplace_order_id: str, lines, shortfall: Decimal, status: str) -> dict:
    """An order as the demo marketplace would post it, paying `shortfall` less than the seller's price."""
    prices = dict(Sku.objects.filter(account__name=ACCOUNT).values_list("sku_id", "price_cents"))
    freight = 990
    seller_value = sum(prices[sku_id] * quantity for sku_id, quantity in lines) + freight * sum(
        q for _, q in lines
    )
    paid = int(seller_value * (1 - shortfall))
    return {
        "marketplaceOrderId": marketplace_order_id,
        "marketplaceOrderStatus": status,
        "marketplacePaymentValue": paid,
        "marketplaceInterestValue": 0,
        "allowFranchises": False,
        "items": [
            {"id": sku_id, "price": prices[sku_id], "quantity": quantity} for sku_id, quantity in lines
        ],
        "clientProfileData": {
            "email": f"customer{marketplace_order_id}@demo.example",
            "firstName": "Demo",
            "lastName": f"Customer {marketplace_order_id}",
            "phone": "5541999999999",
            "document": "12345678909",
        },
        "shippingData": {
            "logisticsInfo": [
                {
                    "price": freight * quantity,
                    "selectedDeliveryChannel": "delivery",
                    "selectedSla": "Normal",
                    "lockTTL": "5d",
                    "shippingEstimate": "5bd",
                }
                for _, quantity in lines
            ],
            "selectedAddresses": [
                {
                    "addressType": "residential",
                    "receiverName": "Demo Customer",
                    "postalCode": "80010-000",
                    "city": "Curitiba",
                    "state": "PR",
                    "country": "BRA",
                    "street": "Rua XV de Novembro",
                    "number": "200",
                }
            ],
            "isFob": False,
            "isMarketplaceFulfillment": False,
        },
        "invoiceData": {"userPaymentInfo": {"paymentMethods": ["creditCardPaymentGroup"]}},
    }


def _post_demo_orders(connector: Connector) -> None:
    """Submit a few orders as the demo marketplace would; the worker processes them once it runs."""
    for marketplace_order_id, lines, shortfall, status in DEMO_ORDERS:
        body = demo_order_body(marketplace_order_id, lines, shortfall, status)
        intake_receive(connector=connector, flow="PlaceOrder", body=body, body_digest=body_digest(body))


class Command(BaseCommand):
    help = "Load the demo account (users, a connector, a catalog, a rule) once, and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument(
            "--credentials-file",
            default=str(Path(settings.VAR_DIR) / "demo-credentials.txt"),
            help="Where the demo credentials are kept (default: var/demo-credentials.txt).",
        )

    def handle(self, *args, credentials_file, **options):
        path = Path(credentials_file)
        text = path.read_text() if path.exists() else ""
        if not text or not _still_valid(_parse(text)):
            text = self._load()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            path.chmod(0o600)
        connector = Connector.objects.get(account__name=ACCOUNT, name=CONNECTOR["name"])
        _endpoint_update(connector)
        site = settings.SITE_URL.rstrip("/")
        if connector.endpoint == demo_endpoint() and settings.DEMO_RECEIVER:
            heard = f"            what it received: {site}/admin/demo/receivedcall/\n"
        elif connector.endpoint == UNHEARD_ENDPOINT:
            heard = "            (nothing listens there: DEMO_RECEIVER=true starts a receiver in the app)\n"
        else:
            heard = ""
        self.stdout.write(
            f"{text}\n"
            f"Web admin:  {site}/admin/\n"
            f"Order API:  {site}/api/order-integration/orders?an={ACCOUNT}\n"
            f"API docs:   {site}/api/docs\n"
            f"Connector:  called at {connector.endpoint}\n"
            f"{heard}"
            f"(kept in {path})"
        )

    @transaction.atomic
    def _load(self) -> str:
        account = Account.objects.filter(name=ACCOUNT).first() or account_create(name=ACCOUNT)
        passwords = {}
        users = {}
        for email, role in USERS:
            passwords[email] = secrets.token_urlsafe(12)
            users[email] = user_by_email(email=email)
            if users[email] is None:
                users[email] = user_create(email=email, password=passwords[email])
            else:
                user_password_set_by_operator(user=users[email], password=passwords[email])
            membership_set(user=users[email], account=account, role=role)

        secret = secrets.token_urlsafe(24)
        connector = Connector.objects.filter(account=account, name=CONNECTOR["name"]).first()
        if connector is None:
            connector, credentials = connector_create(
                account=account, endpoint=demo_endpoint(), secret=secret, **CONNECTOR
            )
        else:
            credentials = connector_rotate_token(connector=connector)
            connector_set_secret(connector=connector, secret=secret)
        api_token = token_issue(user=users[OWNER])
        fresh_catalog = not Sku.objects.filter(account=account).exists()

        if fresh_catalog:
            _load_catalog(account)
        if rule_of(account=account) is None:
            rule_replace(
                account=account,
                bands=[
                    Band(Decimal(0), Decimal(5), BandAction.AUTHORIZE),
                    Band(Decimal(5), Decimal(20), BandAction.MANUAL, ("ana@demo.example", "bo@demo.example")),
                    Band(Decimal(20), Decimal(100), BandAction.DENY),
                ],
                actor=users[OWNER],
            )
        if not Absence.objects.filter(account=account).exists():
            # Next week's holiday, to be seen in the admin's absences before it takes anyone's turn.
            starts = timezone.now() + timedelta(days=7)
            absence_set(
                account=account,
                user=users["ana@demo.example"],
                starts_at=starts,
                ends_at=starts + timedelta(days=5),
                substitute=users["bo@demo.example"],
                actor=users["ana@demo.example"],
            )
        if fresh_catalog and not account.intake_records.exists():
            _post_demo_orders(connector)
        return _render(
            passwords=passwords,
            app_key=credentials.app_key,
            app_token=credentials.app_token,
            secret=secret,
            api_token=api_token,
        )
