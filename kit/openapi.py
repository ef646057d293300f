"""What the OpenAPI document says of every operation, beyond each view's own annotations.

drf-spectacular's postprocessing hooks (`SPECTACULAR_SETTINGS`), run in this order:

- `require_bodies`: a body whose schema demands something is required, as drf-spectacular says
  of a serializer's but not of a schema written by hand, and so is one marked `BODY_REQUIRED`;
- `document_errors`: the answers any operation can give whatever its view says — 413 and 415
  for a body, 503 when the database is unavailable — in the body its API answers its 401 with,
  and the Retry-After of those 503s and of any 429 a view documents;
- `as_openapi_30`: the document is OpenAPI 3.0, whose schemas read JSON Schema draft 4, so that
  `integer` means what the APIs read (2580, not 2580.0; JSON Schema 2020-12 counts both); the
  schemas written as 2020-12 (the contract's files, a few answers) are spelled as 3.0 here.
"""

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

# The `?an=` of every seller API operation (`accounts.api_auth.request_account`).
ACCOUNT_PARAMETER = OpenApiParameter(
    "an", str, description="Account name; may be left out by a user of a single account."
)

BODY_METHODS = ("post", "put", "patch")
# In a request body's schema written by hand: the operation needs a body, even `{}`.
BODY_REQUIRED = "x-body-required"
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait."}
}


def error_body_schema(name: str):
    """The seller API's error body (`kit.api.error_body`) as the document names it: `<name>Error`."""
    return inline_serializer(
        f"{name}Error",
        {
            "code": serializers.CharField(),
            "message": serializers.CharField(),
            "errors": inline_serializer(
                f"{name}FieldError",
                {"field": serializers.CharField(allow_null=True), "message": serializers.CharField()},
                many=True,
            ),
        },
    )


def _error(described: dict, description: str, *, headers: dict | None = None) -> dict:
    """An error answer in the same body as `described`, another answer of the same operation: its
    schema, not its examples, which show that answer's own codes and messages."""
    content = {
        media_type: {key: value for key, value in media.items() if key != "examples"}
        for media_type, media in described.get("content", {}).items()
    }
    return {
        "description": description,
        **({"headers": headers} if headers else {}),
        **({"content": content} if content else {}),
    }


def _demands(schema: dict, components: dict) -> bool:
    """Whether no request without a body can fit `schema`: it requires a property or an item."""
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        return _demands(components.get(reference.rsplit("/", 1)[-1], {}), components)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        return all(_demands(branch, components) for branch in branches)
    return bool(schema.get("required")) or schema.get("minItems", 0) > 0


def require_bodies(result, generator, request, public):
    """Mark a request body required when its schema demands a property or an item, or says so."""
    components = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            schemas = [media.get("schema", {}) for media in body["content"].values()]
            if any(schema.pop(BODY_REQUIRED, False) or _demands(schema, components) for schema in schemas):
                body["required"] = True
    return result


def document_errors(result, generator, request, public):
    """Document the answers of every authenticated operation that no view raises itself.

    A body over the size limit is a 413 and a body not JSON in UTF-8 a 415 (`kit.api.JSONParser`,
    `connector_api.api.ConnectorAPIView.body`); a database that cannot be reached is a 503 with
    Retry-After (`kit.api.api_exception`).
    """
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if not responses or "401" not in responses:
                continue
            unauthorized = responses["401"]
            if method in BODY_METHODS:
                responses.setdefault("413", _error(unauthorized, "The body is over the size limit."))
                responses.setdefault(
                    "415",
                    _error(unauthorized, "The body is not JSON: Content-Type application/json, in UTF-8."),
                )
            responses.setdefault(
                "503",
                _error(
                    unauthorized,
                    "The database is briefly unavailable and nothing was done: send the request again "
                    "after the seconds of Retry-After.",
                    headers=RETRY_AFTER,
                ),
            )
            if "429" in responses:  # too many requests (a connector over its rate): when to send again
                responses["429"].setdefault("headers", RETRY_AFTER)
            for status in sorted(responses, key=str):
                responses[status] = responses.pop(status)
    return result


def _as_30(node):
    """Return a JSON Schema written for 2020-12 as an OpenAPI 3.0 schema says it."""
    if isinstance(node, list):
        return [_as_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_30(value) for key, value in node.items()}
    kind = node.get("type")
    if kind == "null":  # only null: 3.0 has no such type
        node.update(type="string", nullable=True, enum=[None])
    elif isinstance(kind, list):
        kinds = [name for name in kind if name != "null"]
        if len(kinds) < len(kind):
            node["nullable"] = True
        if len(kinds) == 1:
            node["type"] = kinds[0]
        else:
            del node["type"]
            node["anyOf"] = [{"type": name} for name in kinds]
    if "enum" in node and node.get("nullable") and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    return node


def as_openapi_30(result, generator, request, public):
    """Spell the schemas written as JSON Schema 2020-12 as OpenAPI 3.0 (`OAS_VERSION`) reads them."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for content in (operation.get("requestBody") or {}).get("content", {}).values():
                content["schema"] = _as_30(content.get("schema", {}))
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    content["schema"] = _as_30(content.get("schema", {}))
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        schemas[name] = _as_30(schema)
    return result


# `kit.dates.date_or_datetime` as a pattern: a day that exists (February 29 of leap years) in the
# years 1900 to 2999, then perhaps a time and an offset; tests/config/test_openapi.py holds them together.
_MONTH_DAY = r"((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_LEAP_DAY = r"((19|2[0-9])(0[48]|[2468][048]|[13579][26])|2000|2400|2800)-02-29"
_TIME = (
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?"
)
DATE_OR_DATETIME = {
    "type": "string",
    "pattern": rf"^(((19|2[0-9])[0-9]{{2}}-{_MONTH_DAY}|{_LEAP_DAY}){_TIME})?$",
    "description": "Empty: no bound.",
    "example": "2026-05-01T12:00:00Z",
}
