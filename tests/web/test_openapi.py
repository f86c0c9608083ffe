"""The served OpenAPI document describes every route, its schemas, auth and refusals."""

from __future__ import annotations


async def test_openapi_describes_every_route(http, app):
    document = (await http.get("/schema/openapi.json")).json()
    # The staff console's HTML pages (/console/, README "Staff console") are not API operations.
    served = {(route.path, method) for route in app.routes for method in getattr(route, "methods", ())
              if method not in ("HEAD", "OPTIONS") and not route.path.startswith(("/schema", "/console"))}
    described = {(path, method.upper()) for path, item in document["paths"].items() for method in item}

    def normal(path: str) -> str:
        return path.replace(":uuid", "").replace(":str", "")

    assert {(normal(p), m) for p, m in served} <= {(normal(p), m) for p, m in described}
    assert set(document["components"]["securitySchemes"]) == {"ResidentBearer", "StaffBearer", "ApiKeyBearer",
                                                              "AdminBearer"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), (path, method)
            if not path.startswith("/health") and path != "/metrics":  # the probes refuse nobody
                refusals = [code for code in operation["responses"] if code.startswith("4")]
                assert refusals, (path, method)
                for code in refusals:
                    assert "application/problem+json" in operation["responses"][code]["content"]


async def test_schema_page_is_served(http):
    response = await http.get("/schema")
    assert response.status_code == 200 and "html" in response.headers["content-type"]


async def test_the_push_payload_is_documented_as_the_app_receives_it(http):
    """Rule: PUSH-04 — the `data` of a push as FCM gets it has exactly the documented keys, and the
    served document describes them (components.schemas.PushPayload)."""
    import uuid

    import msgspec

    from core.notifications.payload import PushPayload
    from push.fcm import build_message
    from push.transport import OutgoingPush

    push = OutgoingPush(delivery_id=uuid.uuid4(), message_id=uuid.uuid4(), token="t", app_id="domiland",
                        platform="android", type="requests", title="Заявка", body="Статус изменён",
                        deep_link="app://orders/1", brand="komfort", premise_id=uuid.uuid4())
    data = build_message(push).data
    assert set(data) == set(PushPayload.__struct_fields__)
    assert msgspec.convert(data, PushPayload).notification_id == str(push.message_id)
    document = (await http.get("/schema/openapi.json")).json()
    schema = document["components"]["schemas"]["PushPayload"]
    assert set(schema["properties"]) == set(data) and set(schema["required"]) == {"notification_id", "type"}
    assert "requests" in schema["properties"]["type"]["enum"]



async def test_every_operation_has_a_summary_and_a_description_and_health_its_503(http):
    document = (await http.get("/schema/openapi.json")).json()
    missing = [(path, method) for path, item in document["paths"].items() for method, operation in item.items()
               if not operation.get("summary") or not operation.get("description")]
    assert missing == []
    not_ready = document["paths"]["/health"]["get"]["responses"]["503"]
    assert not_ready["content"]["application/json"]["schema"]["$ref"].endswith("/HealthAnswer")


async def test_import_batches_document_their_items_fields(http):
    """Rule: IMPORT-01, IMPORT-06 — a 1C developer reads the items' fields from the document: the
    batch routes' bodies reference typed item schemas, premises with their accounts and clients."""
    document = (await http.get("/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for path, item in (("/crm/v1/import/clients", "ImportClientItem"), ("/crm/v1/import/premises", "ImportPremiseItem")):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["items"]["items"]["$ref"] == f"#/components/schemas/{item}"
        assert body["properties"]["items"]["maxItems"] == 1000
    assert {"external_id", "phone", "last_name", "first_name"} <= set(schemas["ImportClientItem"]["properties"])
    premise = schemas["ImportPremiseItem"]
    assert {"external_id", "object_id", "type", "street", "house", "number"} <= set(premise["required"])
    assert premise["properties"]["accounts"]["items"]["$ref"] == "#/components/schemas/ImportAccountItem"
    clients = premise["properties"]["clients"]["anyOf"][0]
    assert clients["items"]["$ref"] == "#/components/schemas/ImportPremiseClientItem"
    assert "owner" in schemas["ImportPremiseClientItem"]["properties"]["role"]["enum"]


async def test_the_screens_and_imports_examples_fit_their_schemas(http):
    """Rule: APP-PROFILE-01, APP-PREM-01, IMPORT-01, IMPORT-06 — the examples an app developer and a
    1C integrator start from are in the document and valid against the very schemas it serves."""
    from jsonschema import Draft202012Validator

    document = (await http.get("/schema/openapi.json")).json()

    def check(media: dict) -> None:
        [example] = media["examples"].values()
        Draft202012Validator({**media["schema"], "components": document["components"]}).validate(example["value"])

    for path, method in (("/app/v1/screens/profile", "get"), ("/app/v1/screens/my-premises", "get"),
                         ("/crm/v1/import/clients", "post"), ("/crm/v1/import/premises", "post")):
        operation = document["paths"][path][method]
        success = next(code for code in operation["responses"] if code.startswith("2"))
        check(operation["responses"][success]["content"]["application/json"])
        if method == "post":
            check(operation["requestBody"]["content"]["application/json"])
