"""The served OpenAPI document describes every route, its schemas, auth and refusals."""

from __future__ import annotations


async def test_openapi_describes_every_route(http, app):
    document = (await http.get("/schema/openapi.json")).json()
    served = {(route.path, method) for route in app.routes for method in getattr(route, "methods", ())
              if method not in ("HEAD", "OPTIONS") and not route.path.startswith("/schema")}
    described = {(path, method.upper()) for path, item in document["paths"].items() for method in item}

    def normal(path: str) -> str:
        return path.replace(":uuid", "").replace(":str", "")

    assert {(normal(p), m) for p, m in served} <= {(normal(p), m) for p, m in described}
    assert set(document["components"]["securitySchemes"]) == {"ResidentBearer", "StaffBearer", "ApiKeyBearer",
                                                              "AdminBearer"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), (path, method)
            if not path.startswith("/health"):  # readiness and liveness refuse nobody
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

    from push.fcm import build_message
    from push.schemas import PushPayload
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

