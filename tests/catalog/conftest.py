import pytest


@pytest.fixture
def token_client():
    """The suite's `api_client_for`, under the name the catalog API tests use."""
    from tests.support.clients import api_client_for

    return api_client_for
