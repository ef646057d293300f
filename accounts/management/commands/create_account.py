"""`manage.py create_account NAME [--parent NAME] [--order-prefix P] [--currency BRL] [--time-zone ZONE]`."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import Account
from accounts.services import account_create
from kit.errors import ServiceCommand
from kit.money import DEFAULT_CURRENCY


def validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)


class Command(ServiceCommand):
    help = "Create a seller account, optionally a franchise account of a parent account."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The account name, as used in ?an= (lower-case, digits, hyphens).")
        parser.add_argument("--parent", help="Name of the parent account, for a franchise account.")
        parser.add_argument(
            "--order-prefix", default="", help="Prefix of the franchise account's order ids, e.g. MKT."
        )
        parser.add_argument(
            "--currency",
            default=DEFAULT_CURRENCY,
            help=f"The currency of the account's prices and orders, an ISO 4217 code (default {DEFAULT_CURRENCY}).",
        )
        parser.add_argument(
            "--time-zone", help="The account's time zone, such as America/Sao_Paulo (default: the server's)."
        )

    def handle(self, *args, name, parent, order_prefix, currency, time_zone, **options):
        parent_account = None
        if parent:
            parent_account = Account.objects.filter(name=parent).first()
            if parent_account is None:
                raise CommandError(f"No account named '{parent}' (the --parent).")
        if Account.objects.filter(name=name).exists():
            raise CommandError(f"An account named '{name}' already exists.")
        try:
            account = account_create(
                name=name,
                parent=parent_account,
                order_prefix=order_prefix,
                currency=currency.upper(),
                time_zone=time_zone,
            )
        except ValidationError as error:
            raise CommandError(f"Cannot create account '{name}': {validation_message(error)}") from None
        detail = f", franchise of {parent_account.name}" if parent_account else ""
        prefix = f", order prefix {account.order_prefix}" if account.order_prefix else ""
        self.stdout.write(
            f"Created account {account.name}{detail}{prefix}, in {account.currency} and {account.time_zone}."
        )
