"""`manage.py create_user EMAIL --account NAME --role ROLE [--password P] [--language pt-br] [--token]`."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Account
from accounts.roles import Role
from accounts.selectors import user_by_email
from accounts.services import (
    language_set,
    membership_set,
    token_issue,
    user_create,
    user_password_set_by_operator,
)
from kit.errors import ServiceCommand


class Command(ServiceCommand):
    help = (
        "Create a user (or update one) and give them a role in an account. "
        "With --token, print a new seller API token on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The user's e-mail, which is also their login.")
        parser.add_argument("--account", required=True, help="Name of the account.")
        parser.add_argument(
            "--role", required=True, help=f"The user's role in the account: {', '.join(Role.values)}."
        )
        parser.add_argument(
            "--password", help="Set this password (without it, a new user cannot log in to the admin)."
        )
        parser.add_argument(
            "--language",
            help="The language the admin and e-mails speak to them: "
            f"{', '.join(code for code, _name in settings.LANGUAGES)} (without it, their browser's).",
        )
        parser.add_argument(
            "--token",
            action="store_true",
            help="Issue a new seller API token (replacing any earlier one) and print it on the last line.",
        )

    def handle(self, *args, email, account, role, password, language, token, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"'{email}' is not an e-mail address.") from None
        languages = [code for code, _name in settings.LANGUAGES]
        if language is not None and language.lower() not in languages:
            raise CommandError(f"Unknown language '{language}'; use one of: {', '.join(languages)}.")
        if role not in Role.values:
            raise CommandError(f"Unknown role '{role}'; use one of: {', '.join(Role.values)}.")
        account_row = Account.objects.filter(name=account).first()
        if account_row is None:
            raise CommandError(
                f"No account named '{account}'. Create it with: manage.py create_account {account}"
            )

        with transaction.atomic():
            # Run by the server's operator, who may set anyone's password; no screen or API can.
            user = user_by_email(email=email)
            if user is None:
                user = user_create(email=email, password=password)
            elif password is not None:
                user_password_set_by_operator(user=user, password=password)
            membership_set(user=user, account=account_row, role=role)
            if language is not None:
                language_set(user=user, language=language.lower(), actor=None)
            key = token_issue(user=user) if token else None

        self.stdout.write(f"{user.email} is {Role(role).label} of {account_row.name}.")
        if password is None and not user.has_usable_password():
            self.stdout.write("No password set: pass --password to let them log in to the admin.")
        if key is not None:
            self.stdout.write("Seller API token (shown once; send it as 'Authorization: Token <token>'):")
            self.stdout.write(key)
