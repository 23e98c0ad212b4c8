"""The API reference at ``/api/docs``: the OpenAPI document the app serves, as one HTML page.

Made on the server from files in the package, with no script at all, so it reads the same
on a machine without internet and holds the site's strict Content-Security-Policy. (The
usual browser renderers load a script from a CDN, or, shipped, need inline styles and
scripts; Swagger UI's Python bundle is too old to read OpenAPI 3.1.) The machine-readable
document stays at ``/api/docs/openapi.json`` for tools that want it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, Router
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.status_codes import HTTP_404_NOT_FOUND
from markupsafe import Markup, escape

from rejoinder.web.errors import error_response
from rejoinder.web.pages.render import page_headers, render_fragment

PATH = "/api/docs"
_CODE_SPAN = re.compile(r"`([^`]+)`")
_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str = ""
    example: str = ""


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    body: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Field]
    body: str
    answers: list[Answer]


@dataclass(frozen=True)
class Shape:
    name: str
    description: str
    fields: list[Field] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


def prose(text: str) -> Markup:
    """A description, escaped, with its `backticked` spans set as code."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


def type_of(schema: dict[str, Any]) -> str:
    """A schema as a reader would say it: ``Comment``, ``list of string``, ``integer or null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in schema:
            return " or ".join(dict.fromkeys(type_of(part) for part in schema[combined]))
    if "enum" in schema:
        return "one of " + ", ".join(repr(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(type_of({**schema, "type": one}) for one in kind)
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        values = schema["additionalProperties"]
        return f"map of {type_of(values) if isinstance(values, dict) else 'any'}"
    if schema.get("format") == "date-time":
        return "date-time"
    return str(kind)


def _example(schema: dict[str, Any]) -> str:
    examples = schema.get("examples")
    return str(examples[0]) if isinstance(examples, list) and examples else ""


def _parameters(operation: dict[str, Any]) -> list[Field]:
    return [
        Field(
            name=f"{parameter['name']} ({parameter['in']})",
            type=type_of(parameter.get("schema", {})),
            required=bool(parameter.get("required")),
            description=prose(parameter.get("description", "")),
        )
        for parameter in operation.get("parameters", [])
    ]


def _body(operation: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    return next((type_of(media.get("schema", {})) for media in content.values()), "")


def _answers(operation: dict[str, Any]) -> list[Answer]:
    answers = []
    for status, response in sorted(operation.get("responses", {}).items()):
        content = response.get("content") or {}
        body = next((type_of(media.get("schema", {})) for media in content.values()), "")
        answers.append(Answer(status, prose(response.get("description", "")), body))
    return answers


def operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method not in item:
                continue
            operation = item[method]
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=operation.get("operationId") or f"{method}-{path}",
                    summary=operation.get("summary", ""),
                    description=prose(operation.get("description", "")),
                    parameters=_parameters(operation),
                    body=_body(operation),
                    answers=_answers(operation),
                )
            )
    return found


def shapes(document: dict[str, Any]) -> list[Shape]:
    found = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", ()))
        found.append(
            Shape(
                name=name,
                description=prose(schema.get("description", "")),
                fields=[
                    Field(
                        name=field_name,
                        type=type_of(field_schema),
                        required=field_name in required,
                        description=prose(field_schema.get("description", "")),
                        example=_example(field_schema),
                    )
                    for field_name, field_schema in schema.get("properties", {}).items()
                ],
                choices=[repr(value) for value in schema.get("enum", ())],
            )
        )
    return found


class ApiReference(OpenAPIRenderPlugin):
    """Serves the reference page at the root of ``/api/docs``, rendered once."""

    def __init__(self) -> None:
        super().__init__(path="/")
        self._page: bytes | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._page is None:
            self._page = render_fragment(
                "api_reference.html",
                {
                    "info": openapi_schema.get("info", {}),
                    "operations": operations(openapi_schema),
                    "shapes": shapes(openapi_schema),
                    "document_url": f"{PATH}/openapi.json",
                },
                # The reference is made from the OpenAPI document, whose words are English.
                language="en",
            ).encode()
        return self._page


def render_plugins() -> list[OpenAPIRenderPlugin]:
    return [ApiReference(), JsonRenderPlugin()]


def _same_not_found(response: Response) -> Response:
    """Litestar answers an unknown docs page with an HTML 404 of its own; ours is the JSON
    error every other address gives."""
    if response.status_code == HTTP_404_NOT_FOUND:
        return error_response(404, "not_found", "There is nothing at this address.")
    return response


def docs_router() -> Router:
    """The router the OpenAPI pages hang from, sending the site's security headers."""
    return Router(
        PATH,
        route_handlers=[],
        include_in_schema=False,
        after_request=_same_not_found,
        response_headers=[ResponseHeader(name=k, value=v) for k, v in page_headers().items()],
    )
