"""The generated OpenAPI document is valid OpenAPI 3, lists every endpoint, and its docs page is served
from our own static files under the strict CSP."""

from __future__ import annotations

import inspect
import re

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

from api.endpoints import premium, sms, spikon
from tests.test_csp import policy_problems, template_problems

ROUTERS = {"/premium": premium.router, "/sms": sms.router, "/spikon": spikon.router}


def endpoints() -> list[tuple[str, str, object]]:
    """(method, path, view) of every operation the routers declare."""
    found = []
    for prefix, router in ROUTERS.items():
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.append((method.lower(), f"/api/v1{prefix}{path}", operation.view_func))
    return found


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_the_validator_can_fail(schema):
    broken = {**schema, "paths": {"/x": {"get": {"responses": {"200": {"description": 1}}}}}}
    with pytest.raises(Exception):  # noqa: B017 - any validation error will do
        validate(broken)


def test_the_schema_lists_every_endpoint(schema):
    listed = {(method, path) for path, item in schema["paths"].items() for method in item}
    declared = {(method, path) for method, path, _view in endpoints()}
    assert len(declared) > 10
    assert declared <= listed, declared - listed


def test_operation_ids_name_the_provider_and_the_endpoint(schema):
    ids = [operation["operationId"] for item in schema["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids))
    assert "premium_numbers" in ids and "spikon_sms_send" in ids and "sms_create_subaccount" in ids


ACTING = (
    "premium_buy_number",
    "sms_create_subaccount",
    "spikon_click_to_call",
    "spikon_sms_send",
    "spikon_announcement_generate",
)


def test_acting_endpoints_document_the_idempotency_key(schema):
    acting_views = {
        view.__name__ for _method, _path, view in endpoints() if "act_once(" in inspect.getsource(view)
    }
    assert acting_views == {operation_id.split("_", 1)[1] for operation_id in ACTING}
    operations = {op["operationId"]: op for item in schema["paths"].values() for op in item.values()}
    for operation_id in ACTING:
        headers = [p for p in operations[operation_id].get("parameters", []) if p["in"] == "header"]
        assert [(p["name"], p["required"]) for p in headers] == [("Idempotency-Key", True)], operation_id
    others = [op for op_id, op in operations.items() if op_id not in ACTING]
    assert not any(p["in"] == "header" for op in others for p in op.get("parameters", []))


def test_every_endpoint_needs_a_token_and_a_role(schema):
    for method, path, view in endpoints():
        assert getattr(view, "min_role", None) is not None, (
            f"{method} {path} is not decorated with requires()"
        )
        assert schema["paths"][path][method]["security"] == [{"TokenAuth": []}], path


def test_every_endpoint_documents_its_problems(schema):
    for method, path, _view in endpoints():
        responses = schema["paths"][path][method]["responses"]
        assert {"401", "403", "422", "429"} <= set(responses), f"{method} {path}: {sorted(responses)}"


def test_the_docs_page_uses_only_our_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert policy_problems(response["Content-Security-Policy"]) == []
    page = response.content.decode()
    assert template_problems(page) == []
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
    assert "/api/v1/openapi.json" in page
