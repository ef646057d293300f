"""Writes to connectors: creation, credentials."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction

from accounts.models import Account

from . import crypto
from .models import Connector


@dataclass(frozen=True)
class Credentials:
    app_key: str
    app_token: str


def app_token_digest(app_token: str) -> str:
    return hashlib.sha256(app_token.encode()).hexdigest()


def _new_credentials(account: Account) -> Credentials:
    return Credentials(
        app_key=f"oa-{account.name}-{secrets.token_hex(6)}", app_token=secrets.token_urlsafe(36)
    )


@transaction.atomic
def connector_create(
    *,
    account: Account,
    name: str,
    type: str,
    affiliate_id: str,
    endpoint: str,
    sales_channel: str = "1",
    rate_limit: str = "",
    legacy_rate_percent=None,
    keep_previous_flow: bool = False,
    honour_allowance: bool = False,
    secret: str = "",
) -> tuple[Connector, Credentials]:
    """Create a connector; return it and its credentials, whose token is never shown again."""
    credentials = _new_credentials(account)
    connector = Connector(
        account=account,
        name=name,
        type=type,
        affiliate_id=affiliate_id,
        endpoint=endpoint,
        sales_channel=sales_channel,
        rate_limit=rate_limit,
        legacy_rate_percent=legacy_rate_percent,
        keep_previous_flow=keep_previous_flow,
        honour_allowance=honour_allowance,
        app_key=credentials.app_key,
        app_token_digest=app_token_digest(credentials.app_token),
        secret_encrypted=crypto.encrypt(secret),
    )
    connector.full_clean()
    connector.save()
    return connector, credentials


@transaction.atomic
def connector_rotate_token(*, connector: Connector) -> Credentials:
    """Issue a new app token for the connector; the old one stops working at once."""
    app_token = secrets.token_urlsafe(36)
    connector.app_token_digest = app_token_digest(app_token)
    connector.save(update_fields=["app_token_digest"])
    return Credentials(app_key=connector.app_key, app_token=app_token)


@transaction.atomic
def connector_set_secret(*, connector: Connector, secret: str) -> None:
    connector.secret_encrypted = crypto.encrypt(secret)
    connector.save(update_fields=["secret_encrypted"])
