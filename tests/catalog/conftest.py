import pytest
from rest_framework.test import APIClient

from authorization.services import token_issue


@pytest.fixture
def token_client():
    """Return a function giving an API client that sends the user's token."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
        return client

    return make
