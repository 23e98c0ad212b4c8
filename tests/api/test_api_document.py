"""The API's own description is true: every answer it can give is documented in the one error
shape, ``OPTIONS`` names every method, and the reference page works with no other host.

These are the contract the fuzzer (tests/cli/test_api_fuzzing.py) holds the server to; the
defects here are the ones it found first.
"""

from __future__ import annotations

import re

import pytest

from rejoinder.web.pages.api_reference import type_of

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/docs/openapi.json").json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_refusal_is_documented_in_the_one_error_shape(document):
    for name, operation in _operations(document):
        if name == "GET /healthz":  # takes nothing to refuse; its 503 is its own Health
            continue
        refusals = {s: r for s, r in operation["responses"].items() if s.startswith(("4", "5"))}
        assert {"400", "503"} <= set(refusals), name
        for status, response in refusals.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == ERROR_BODY, f"{name} {status}: {schema}"
    error = document["components"]["schemas"]["ErrorDetail"]
    assert set(error["required"]) == {"code", "message", "field"}


def test_every_write_documents_what_a_write_can_be_refused_for(document):
    for name, operation in _operations(document):
        if name.split()[0] in ("POST", "PUT", "PATCH", "DELETE"):
            assert {"403", "413", "415", "429"} <= set(operation["responses"]), name


def test_an_options_request_names_every_method_of_its_path(client):
    for path, methods in (
        ("/api/comments", "GET, OPTIONS, POST"),
        ("/api/comments/1", "DELETE, OPTIONS, PATCH"),
        ("/api/articles/some-story", "GET, OPTIONS, PUT"),
    ):
        answer = client.options(path)
        assert answer.status_code == 204
        assert answer.headers["allow"] == methods, path


def test_a_reader_token_can_be_asked_for_without_a_body(client):
    answer = client.post("/api/readers")
    assert answer.status_code == 201
    assert answer.json()["token"]


def test_a_write_that_takes_a_body_still_needs_json(client):
    answer = client.post(
        "/api/comments", content=b"thread=x", headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 415


def test_the_reference_page_needs_no_other_host_and_runs_no_script(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "<script" not in page.text
    assert re.findall(r"""(?:src|href)=["'](?:https?:)?//""", page.text) == []
    assert 'id="ApiCommentsCreateComment"' in page.text and 'id="shape-ErrorBody"' in page.text
    assert client.get(
        re.search(r'href="(/static/api-reference\.css[^"]*)"', page.text)[1]
    ).is_success


def test_an_unknown_reference_page_is_the_usual_json_404(client):
    answer = client.get("/api/docs/swagger")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        ({"$ref": "#/components/schemas/Comment"}, "Comment"),
        ({"type": "array", "items": {"type": "string"}}, "list of string"),
        ({"oneOf": [{"type": "integer"}, {"type": "null"}]}, "integer or null"),
        ({"type": ["string", "null"]}, "string or null"),
        ({"enum": ["best", "oldest"]}, "one of 'best', 'oldest'"),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "map of integer"),
        ({"type": "string", "format": "date-time"}, "date-time"),
    ],
)
def test_the_reference_names_types_as_a_reader_would(schema, said):
    assert type_of(schema) == said
