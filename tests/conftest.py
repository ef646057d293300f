import pytest

from authorization.roles import Role
from tests.factories import AccountFactory, member


@pytest.fixture
def account(db):
    return AccountFactory(name="acme")


@pytest.fixture
def owner(account):
    return member(account, Role.OWNER, "owner@acme.example")


@pytest.fixture
def oms_full(account):
    return member(account, Role.OMS_FULL, "oms@acme.example")


@pytest.fixture
def approver(account):
    return member(account, Role.APPROVER, "ana@acme.example")


@pytest.fixture
def second_approver(account):
    return member(account, Role.APPROVER, "bo@acme.example")


@pytest.fixture
def viewer(account):
    return member(account, Role.VIEWER, "viewer@acme.example")


@pytest.fixture
def other_account(db):
    return AccountFactory(name="globex")
