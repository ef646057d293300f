"""Published OpenAPI 3.0 documents read as JSON Schema, to validate what the app answers against them."""


def json_schema(node, spec: dict):
    """The OpenAPI 3.0 schema `node` of `spec` as JSON Schema: `$ref`s inlined, `nullable` a null
    type (and a null choice of an enum), annotations left out."""
    if isinstance(node, list):
        return [json_schema(item, spec) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]], spec)
    schema = {}
    for key, value in node.items():
        if key == "properties":  # property names are not keywords, whatever they are called
            schema[key] = {name: json_schema(prop, spec) for name, prop in value.items()}
        elif key not in ("nullable", "example", "deprecated", "description", "title"):
            schema[key] = json_schema(value, spec)
    if node.get("nullable") and "type" in schema:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema
