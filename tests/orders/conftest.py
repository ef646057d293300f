from tests.connector_client import ConnectorClient, Shop  # noqa: F401
