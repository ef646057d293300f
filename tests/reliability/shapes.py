"""The error body of each API family, as the OpenAPI document and docs/api.md describe them."""

CONTRACT_KEYS = {
    "marketplaceOrderId",
    "accountName",
    "code",
    "flow",
    "success",
    "operationId",
    "errors",
    "fields",
    "message",
}


def family(path: str) -> str:
    """Name the API family of a path: each answers errors in its own shape."""
    if path.startswith("/api/order-integration/"):
        return "contract"
    if path.startswith(("/api/fulfillment/", "/api/checkout/")):
        return "fulfillment"
    if path.startswith(("/api/oms/", "/api/orders/feed", "/api/orders/hook")):
        return "oms"
    return "seller"


def error_shape_problems(path: str, content_type: str, body) -> list[str]:
    """Return how an error answer departs from its family's error body; empty when it fits."""
    if not content_type.startswith("application/json"):
        return [f"Content-Type {content_type!r}, not JSON"]
    kind = family(path)
    if kind == "contract":
        problems = [] if isinstance(body, dict) and set(body) == CONTRACT_KEYS else ["not the contract body"]
        if not problems and (body["success"] is not False or not isinstance(body["code"], str)):
            problems.append("success must be false and code a string")
        return problems
    if kind in ("oms", "fulfillment"):
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or set(error) != {"code", "message", "exception"}:
            return ['not {"error": {"code", "message", "exception"}}']
        if kind == "fulfillment" and not isinstance(body.get("errors"), list):
            return ["no errors list"]
        return [] if isinstance(error["code"], str) and isinstance(error["message"], str) else ["bad types"]
    if not isinstance(body, dict) or not {"code", "message", "errors"} <= set(body):
        return ['not {"code", "message", "errors"}']
    if not all(isinstance(entry, dict) and set(entry) == {"field", "message"} for entry in body["errors"]):
        return ["errors entries are not {field, message}"]
    return []


def problems_of(path: str, response) -> list[str]:
    """`error_shape_problems` of a Django test client response."""
    content_type = response.get("Content-Type", "")
    body = response.json() if content_type.startswith("application/json") else None
    return error_shape_problems(path, content_type, body)
