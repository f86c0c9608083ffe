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
            if path not in ("/health", "/health/live", "/metrics"):  # the probes refuse nobody
                refusals = [code for code in operation["responses"] if code.startswith("4")]
                assert refusals, (path, method)
                for code in refusals:
                    assert "application/problem+json" in operation["responses"][code]["content"]


async def test_schema_page_is_served(http):
    response = await http.get("/schema")
    assert response.status_code == 200 and "html" in response.headers["content-type"]
