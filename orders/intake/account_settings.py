"""What processing reads of an account once a change, not once a batch: the account, its
franchises, its connectors (each with its outbox settings), its shipping policies (with their
pickup points), its pickup points and its rule.

Every table these reads touch moves the account's settings version in the same transaction as any
write to it, whoever makes it (`accounts.settings_version`). A batch reads the number first, and
reads the rest again only when it has moved; where the database keeps no number (SQLite),
everything is read each batch. The objects kept are shared by this process's batches: processing
reads them and never changes them, nor reads through them what is not kept with them (a test
checks), so a batch never sees what another wrote into them.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Account
from accounts.settings_version import settings_version_later
from authorization.selectors import account_bands
from catalog.availability import active_policies
from catalog.models import PickupPoint
from connectors.models import Connector
from connectors.status_changes import OUTBOX_SETTINGS

from ..models import IntakeRecord


@dataclass(frozen=True)
class AccountSettings:
    account: Account
    franchises: list[Account]  # by name, as they are tried
    connectors: dict[int, Connector]
    policies: list  # active, each with its pickup points
    pickup_points: dict[str, PickupPoint]  # by their id
    bands: list | None


# This process's reads, each with the settings version it was read at.
_kept: dict[int, tuple[int, AccountSettings]] = {}
KEPT_AT_MOST = 1000
# A forked process starts with nothing kept: what its parent read may be of another database under
# the same numbers (a test database cloned with its sequences, as mutation runs do).
os.register_at_fork(after_in_child=_kept.clear)


def account_settings(account_id: int, version: Callable[[], int | None] | None = None) -> AccountSettings:
    """The account's settings as they are now: kept, unless they changed since they were read.

    `version`: its settings version, sent before (`settings_version_later`)."""
    # The version first: what is read after it is at least as new, so never kept under a later one.
    version = (version or settings_version_later(account_id))()
    kept = _kept.get(account_id)
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    read = account_settings_read(account_id)
    if version is not None:
        if len(_kept) >= KEPT_AT_MOST:
            _kept.clear()
        _kept[account_id] = (version, read)
    return read


def account_settings_read(account_id: int) -> AccountSettings:
    """Read the account's settings from the database, in eight queries."""
    account = Account.objects.get(pk=account_id)
    connectors = (
        Connector.objects.filter(account=account).select_related(*OUTBOX_SETTINGS).order_by().in_bulk()
    )
    for connector in connectors.values():
        connector.account = account
    return AccountSettings(
        account=account,
        franchises=list(account.franchises.order_by("name")),
        connectors=connectors,
        policies=active_policies(account, picks_up=True),
        pickup_points={
            point.point_id: point for point in PickupPoint.objects.filter(account=account).order_by()
        },
        bands=account_bands(account=account),
    )


def with_settings(
    intakes: list[IntakeRecord], versions: dict[int, Callable[[], int | None]]
) -> dict[int, AccountSettings]:
    """Give each claimed submission its account and connector, as kept; return the settings of
    each of their accounts. `versions`: each account's settings version, sent before."""
    settings = {account_id: account_settings(account_id, version) for account_id, version in versions.items()}
    for intake in intakes:
        kept = settings[intake.account_id]
        intake.account = kept.account
        connector = kept.connectors.get(intake.connector_id)
        if connector is None:  # of another account: no intake is written so, but read, not assumed
            connector = Connector.objects.select_related("account", *OUTBOX_SETTINGS).get(
                pk=intake.connector_id
            )
        intake.connector = connector
    return settings
