"""Fills in what the generated OpenAPI document lacks, from msgspec Structs.

Schemas the generated OpenAPI document lacks, added from msgspec Structs: messages no route answers
with (the push payload), request bodies parsed in two steps (an import batch's items are validated
one by one, so the route takes them as plain objects), and each operation's problem answers with the
codes it may give."""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    OpenAPIResponse,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

from core.errors import Common
from web.deps import GUARD_CODES, IDEMPOTENT_GUARDS, PAGES
from web.idempotency import IdempotencyCode
from web.problems import (
    DECLARED,
    PROBLEM_JSON,
    TITLES,
    HttpCode,
    Problem,
    ProblemSpec,
    status_of_code,
)

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


def add_examples(app: Litestar, examples: dict, as_json: Callable[[Any], Any]) -> None:
    """Request and answer examples, by (path, method): (request or None, answer)."""
    for (path, method), (request, answer) in examples.items():
        operation = getattr(app.openapi_schema.paths[path], method)
        if request is not None:
            operation.request_body.content["application/json"].examples = {
                "example": Example(summary="An example", value=as_json(request))}
        success = next(code for code in operation.responses if str(code).startswith("2"))
        operation.responses[success].content["application/json"].examples = {
            "example": Example(summary="An example", value=as_json(answer))}


# Parameters Litestar fills from the connection itself: not input a caller can get wrong.
_CONNECTION = frozenset({"request", "state", "scope", "headers", "cookies", "query", "receive", "send", "socket"})


def _reached(handler: HTTPRouteHandler) -> tuple[set[str], set]:
    """The handler's parameters, its dependencies' parameters in turn, and the dependencies called."""
    provided = handler.resolve_dependencies()
    names: set[str] = set()
    called: set = set()
    todo = list(handler.parsed_fn_signature.parameters)
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.add(name)
        if name in provided:
            called.add(provided[name].dependency)
            todo.extend(inspect.signature(provided[name].dependency).parameters)
    return names - set(provided) - _CONNECTION, called


def generic_codes(handler: HTTPRouteHandler, path_parameters: bool) -> set[str]:
    """The codes a route may answer because of what it has rather than what it does: failures
    any route may meet, refusals of bad input and of a body, of its guard (the bearer token, the
    route's permission, the abuse limits), of a cursor, and of `Idempotency-Key`."""
    parameters, called = _reached(handler)
    codes: set[str] = {HttpCode.INTERNAL_ERROR, Common.SERVICE_UNAVAILABLE}
    if parameters or path_parameters:
        codes |= {HttpCode.VALIDATION_ERROR, Common.INVALID_INPUT}
    body = handler.parsed_fn_signature.parameters.get("data")
    multipart = False
    if body is not None:
        media = getattr(body.kwarg_definition, "media_type", None)
        multipart = media in (RequestEncodingType.MULTI_PART, RequestEncodingType.URL_ENCODED)
        codes |= {Common.PAYLOAD_TOO_LARGE, HttpCode.BAD_REQUEST if multipart else HttpCode.MALFORMED_JSON}
    for guard in called:
        codes |= set(GUARD_CODES.get(guard, ()))
        if guard in IDEMPOTENT_GUARDS and "POST" in handler.http_methods and not multipart:
            codes |= {Common.INVALID_INPUT, IdempotencyCode.IDEMPOTENCY_KEY_REUSED}
        if guard in PAGES:
            codes.add(Common.INVALID_INPUT)
    if handler.opt.get("permission"):
        codes.add(Common.PERMISSION_REQUIRED)
    return codes


def declare_problems(app: Litestar) -> None:
    """Every operation's refusals as the document lists them: per status, a problem schema whose
    `code` is an enum of exactly the codes the route declares (`problems(...)`) and those
    `generic_codes` adds. The same lists go to the handler's opt (web.problems.DECLARED), against
    which every problem answer is checked under test settings."""
    schemas = app.openapi_schema.components.schemas
    problem = add_schemas(app, Problem)[0]
    base = schemas[problem.ref.rsplit("/", 1)[-1]]
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not handler.resolve_include_in_schema():
                continue
            own = [code for spec in (handler.responses or {}).values() if isinstance(spec, ProblemSpec)
                   for code in spec.codes]
            others = {status for status, spec in (handler.responses or {}).items() if not isinstance(spec, ProblemSpec)}
            by_status: dict[int, set[str]] = {}
            for code in {*own, *generic_codes(handler, bool(route.path_parameters))}:
                status = status_of_code(code)
                if status not in others:
                    by_status.setdefault(status, set()).add(code)
            handler.opt[DECLARED] = {status: frozenset(codes) for status, codes in by_status.items()}
            path = re.sub(r":\w+}", "}", route.path) or "/"
            for method in handler.http_methods:
                operation = getattr(app.openapi_schema.paths[path], method.lower(), None)
                if operation is None:
                    continue
                for status, codes in sorted(by_status.items()):
                    name = f"{operation.operation_id}Problem{status}"
                    schemas[name] = dataclasses.replace(base, title=name, properties={
                        **base.properties, "code": Schema(type=OpenAPIType.STRING, enum=sorted(codes))})
                    operation.responses[str(status)] = OpenAPIResponse(
                        description=TITLES.get(status, "Error"), content={PROBLEM_JSON: OpenAPIMediaType(
                            schema=Reference(ref=f"#/components/schemas/{name}"))})
                operation.responses = dict(sorted(operation.responses.items()))
