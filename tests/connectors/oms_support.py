"""What the OMS API tests share: a connector client, the hook endpoint, the published contract's schemas."""

import json
from pathlib import Path

from jsonschema import Draft7Validator

from tests.support.clients import connector_headers
from tests.support.openapi import json_schema

# The contract's Orders API, as published (vtex/openapi-schemas, "VTEX - Orders API.json" at 0d207e53),
# reduced to the paths this app serves.
SPEC = json.loads((Path(__file__).parent / "contract" / "orders-api-subset.json").read_text())


class OmsClient:
    """A connector calling the OMS API (orders, feed, hook); what it queues runs as each request commits."""

    def __init__(self, client, credentials, capture):
        self.client, self.credentials, self.capture = client, credentials, capture

    def headers(self):
        return connector_headers(self.credentials)

    def get(self, path, **extra):
        with self.capture(execute=True):
            return self.client.get(path, **{**self.headers(), **extra})

    def post(self, path, body=None, raw=None, **extra):
        with self.capture(execute=True):
            return self.client.post(
                path,
                data=raw if raw is not None else json.dumps(body if body is not None else {}),
                content_type="application/json",
                **{**self.headers(), **extra},
            )

    def delete(self, path, **extra):
        with self.capture(execute=True):
            return self.client.delete(path, **{**self.headers(), **extra})


def hook_url(server) -> str:
    return server.url + "/hook"


def hook_calls(server) -> list:
    """What the hook endpoint received, the pings first."""
    return server.received


def response_schema(path: str, method: str, status: str = "200") -> dict:
    return json_schema(
        SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"], SPEC
    )


def component_schema(name: str) -> dict:
    return json_schema(SPEC["components"]["schemas"][name], SPEC)


def contract_errors(instance, schema) -> list[str]:
    """Return where `instance` breaks the published schema; empty when it fits."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in Draft7Validator(schema).iter_errors(instance)
    ]
