"""Schemas the generated OpenAPI document lacks, added from msgspec Structs: messages no route
answers with (the push payload) and request bodies parsed in two steps (an import batch's items
are validated one by one, so the route takes them as plain objects)."""

from __future__ import annotations

import msgspec
from litestar import Litestar
from litestar.openapi.spec import Example, OpenAPIMediaType, Reference, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

# JSON Schema keywords (what msgspec writes) → the fields of Litestar's Schema.
_PLAIN = {"title": "title", "description": "description", "enum": "enum", "const": "const", "format": "format",
          "pattern": "pattern", "default": "default", "examples": "examples", "required": "required",
          "minimum": "minimum", "maximum": "maximum", "minLength": "min_length", "maxLength": "max_length",
          "minItems": "min_items", "maxItems": "max_items"}


def _schema(spec: dict, prefix: str) -> Schema | Reference:
    if "$ref" in spec:
        return Reference(ref=f"#/components/schemas/{prefix}{spec['$ref'].rsplit('/', 1)[-1]}")
    fields: dict = {_PLAIN[key]: value for key, value in spec.items() if key in _PLAIN}
    if "type" in spec:
        fields["type"] = OpenAPIType(spec["type"])
    if "anyOf" in spec:
        fields["any_of"] = [_schema(option, prefix) for option in spec["anyOf"]]
    if "items" in spec:
        fields["items"] = _schema(spec["items"], prefix)
    if "properties" in spec:
        fields["properties"] = {name: _schema(value, prefix) for name, value in spec["properties"].items()}
    if "additionalProperties" in spec and isinstance(spec["additionalProperties"], dict):
        fields["additional_properties"] = _schema(spec["additionalProperties"], prefix)
    return Schema(**fields)


def add_schemas(app: Litestar, *structs: type, prefix: str = "") -> list[Reference]:
    """Components for `structs` and every Struct they use (named `prefix` + class name); their refs."""
    _, components = msgspec.json.schema_components(structs, ref_template="#/$defs/{name}")
    schemas = app.openapi_schema.components.schemas
    for name, spec in components.items():
        schemas[f"{prefix}{name}"] = _schema(spec, prefix)
    return [Reference(ref=f"#/components/schemas/{prefix}{struct.__name__}") for struct in structs]


def type_batch_items(app: Litestar, path: str, item: Reference, *, max_items: int,
                     single: Reference | None = None) -> None:
    """The request body of a batch route `{items: [...]}` with its items' own schema (or, where
    the route also takes one item as it is, either of the two)."""
    operation = app.openapi_schema.paths[path].post
    body = Schema(type=OpenAPIType.OBJECT, required=["items"], properties={
        "items": Schema(type=OpenAPIType.ARRAY, items=item, min_items=1, max_items=max_items,
                        description="Each item is checked and applied on its own: a malformed item gets an "
                                    "error result and never affects the others")})
    if single is not None:
        body = Schema(one_of=[single, body])
    operation.request_body = RequestBody(content={"application/json": OpenAPIMediaType(schema=body)}, required=True)


def unique_titles(app: Litestar) -> None:
    """Structs of the same name in two modules get component keys of their own (the module path
    in front) but keep their class name as title; client generators name models by title, so a
    duplicated title becomes its key."""
    schemas = app.openapi_schema.components.schemas
    seen: dict[str, int] = {}
    for schema in schemas.values():
        if isinstance(schema, Schema) and schema.title:
            seen[schema.title] = seen.get(schema.title, 0) + 1
    for key, schema in schemas.items():
        if isinstance(schema, Schema) and schema.title and seen[schema.title] > 1:
            schema.title = key


def add_examples(app: Litestar) -> None:
    """Request and answer examples of the screens and imports (web/examples.py)."""
    from web.examples import EXAMPLES, as_json

    for (path, method), (request, answer) in EXAMPLES.items():
        operation = getattr(app.openapi_schema.paths[path], method)
        if request is not None:
            operation.request_body.content["application/json"].examples = {
                "example": Example(summary="An example", value=as_json(request))}
        success = next(code for code in operation.responses if str(code).startswith("2"))
        operation.responses[success].content["application/json"].examples = {
            "example": Example(summary="An example", value=as_json(answer))}
