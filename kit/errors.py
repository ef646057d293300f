"""One base for every refusal a service raises, and the one way each interface answers it.

A service says what went wrong once — `code` for programs, `message` for a person, `field` for the
input it is about, if one — and each interface maps the base once: the seller API's exception
handler (`kit.api.exception_handler`), the connector APIs' handlers in the contract's body, the
admin's message (`admin_refusal`) and a management command's error (`ServiceCommand`).
"""

from django.contrib import messages
from django.core.management.base import BaseCommand, CommandError

# What an API says of a request with errors, each listed by the field it is about.
REQUEST_INVALID = "The request has errors."


class DomainError(Exception):
    """A refusal of a service: nothing was done, and the message says why to whoever asked.

    `status` is what an HTTP API answers it with; a subclass sets `code` and `status` once.
    """

    code = "refused"
    status = 409

    def __init__(self, message: str = "", *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message

    @property
    def errors(self) -> list[dict]:
        """The problems by field, as the seller API's `errors` lists them."""
        return [{"field": self.field, "message": self.message}] if self.field else []

    def details(self) -> dict:
        """What an API answer carries besides code, message and errors (none by default)."""
        return {}

    def headers(self) -> dict:
        """The headers an HTTP API answers it with (none by default)."""
        return {}


def admin_refusal(request, error: DomainError) -> None:
    """Tell the admin's user why nothing was done, as a message on the next page."""
    messages.error(request, error.message)


class ServiceCommand(BaseCommand):
    """A management command whose services' refusals end it as a command error, with their message."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DomainError as error:
            raise CommandError(error.message) from None
