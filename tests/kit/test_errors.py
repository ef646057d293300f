"""A service's refusal (kit.errors.DomainError) is mapped once per interface: the seller API and a command."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kit.api import exception_handler
from kit.errors import DomainError, ServiceCommand


class NoteMissing(DomainError):
    code = "note_missing"
    status = 400

    def details(self) -> dict:
        return {"hint": "Say why."}

    def headers(self) -> dict:
        return {"Retry-After": "60"}


def test_the_seller_api_answers_a_refusal_with_its_status_code_message_field_and_headers():
    response = exception_handler(NoteMissing("Give a note.", field="note"), {})
    assert response.status_code == 400
    assert response.data == {
        "code": "note_missing",
        "message": "Give a note.",
        "errors": [{"field": "note", "message": "Give a note."}],
        "hint": "Say why.",
    }
    assert response["Retry-After"] == "60"


def test_a_refusal_without_a_field_lists_no_errors_and_is_a_conflict_by_default():
    response = exception_handler(DomainError("Not now."), {})
    assert (response.status_code, response.data) == (
        409,
        {"code": "refused", "message": "Not now.", "errors": []},
    )
    assert "Retry-After" not in exception_handler(DomainError("Not now."), {})
    assert exception_handler(DomainError("Not now.", code="later"), {}).data["code"] == "later"


class Refusing(ServiceCommand):
    def handle(self, *args, **options):
        raise NoteMissing("Give a note.")


def test_a_command_ends_with_the_refusals_message():
    with pytest.raises(CommandError) as ended:
        call_command(Refusing())
    assert str(ended.value) == "Give a note."
