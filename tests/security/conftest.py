"""Two sellers side by side: acme, with `held_order` (tests/conftest.py), and globex, whose people and connector attack it."""

from dataclasses import dataclass

import pytest

from accounts.roles import Role
from accounts.services import token_issue
from tests.factories import member
from tests.support.clients import connector_headers
from tests.support.shop import make_shop


@dataclass
class Globex:
    shop: object
    owner: object
    token: str

    def connector_headers(self) -> dict:
        return connector_headers(self.shop.credentials)


@pytest.fixture
def globex(other_account, other_server):
    """Another seller with the same catalog and a connector with the same affiliate id, MKP,
    notifying an endpoint of its own (`other_server`): what reaches the wrong one shows."""
    owner = member(other_account, Role.OWNER, "owner@globex.example")
    return Globex(make_shop(other_account, other_server.url), owner, token_issue(user=owner))
