"""`manage.py create_connector --account NAME --name NAME --type TYPE --affiliate-id MKP --endpoint URL ...`."""

import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import Account
from connectors.models import ConnectorType
from connectors.services import connector_create
from kit.errors import ServiceCommand


class Command(ServiceCommand):
    help = (
        "Create a connector in an account and print its credentials as JSON on the last line "
        '({"appKey": ..., "appToken": ...}); the token is not shown again.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Name of the account.")
        parser.add_argument("--name", required=True, help="The connector's name, unique in the account.")
        parser.add_argument("--type", required=True, help=f"One of: {', '.join(ConnectorType.values)}.")
        parser.add_argument(
            "--affiliate-id", required=True, help="Short code prefixing the connector's order ids, e.g. MKP."
        )
        parser.add_argument("--endpoint", required=True, help="Base URL where notifications are sent.")
        parser.add_argument("--sales-channel", default="1", help="Trade policy of its orders (default 1).")
        parser.add_argument(
            "--legacy-rate", help="Previous flow: the connector's price divergence rate, in percent."
        )
        parser.add_argument(
            "--keep-previous-flow",
            action="store_true",
            help="Keep the previous per-connector divergence flow for this connector.",
        )
        parser.add_argument("--secret", default="", help="Secret to sign notifications with (HMAC-SHA256).")

    def handle(self, *args, **options):
        if options["type"] not in ConnectorType.values:
            raise CommandError(
                f"Unknown connector type '{options['type']}'; use one of: {', '.join(ConnectorType.values)}."
            )
        account = Account.objects.filter(name=options["account"]).first()
        if account is None:
            raise CommandError(f"No account named '{options['account']}'.")
        legacy_rate = None
        if options["legacy_rate"] is not None:
            try:
                legacy_rate = Decimal(options["legacy_rate"])
            except InvalidOperation:
                raise CommandError(
                    f"--legacy-rate must be a percentage, not '{options['legacy_rate']}'."
                ) from None
        try:
            connector, credentials = connector_create(
                account=account,
                name=options["name"],
                type=options["type"],
                affiliate_id=options["affiliate_id"],
                endpoint=options["endpoint"],
                sales_channel=options["sales_channel"],
                legacy_rate_percent=legacy_rate,
                keep_previous_flow=options["keep_previous_flow"],
                secret=options["secret"],
            )
        except ValidationError as error:
            raise CommandError(f"Cannot create the connector: {_messages(error)}") from None
        self.stdout.write(
            f"Created connector {connector.name} ({connector.get_type_display()}, affiliate id "
            f"{connector.affiliate_id}) in {account.name}. Its app token is shown once:"
        )
        self.stdout.write(json.dumps({"appKey": credentials.app_key, "appToken": credentials.app_token}))


_OPTION_OF_FIELD = {
    "affiliate_id": "--affiliate-id",
    "legacy_rate_percent": "--legacy-rate",
    "sales_channel": "--sales-channel",
    "__all__": "",
}


def _messages(error: ValidationError) -> str:
    if not hasattr(error, "message_dict"):
        return " ".join(error.messages)
    parts = []
    for field, messages in error.message_dict.items():
        option = _OPTION_OF_FIELD.get(field, f"--{field.replace('_', '-')}")
        parts.append(f"{option}: {' '.join(messages)}" if option else " ".join(messages))
    return " ".join(parts)
