"""What the route walks share (tests/crm/test_isolation.py, tests/crm/test_permissions.py): one
partner holding one of everything a CRM route can name, and a route path filled with its ids."""

from __future__ import annotations

import re

from litestar.enums import RequestEncodingType

from tests.crm.estate import link, make_client, make_object, make_premise
from tests.support import expect, login_resident


async def everything_routes_name(http, staff, *, label: str, client: dict, lead: dict, account_number: str,
                                 file_name: str, premise: dict | None = None) -> dict[str, str]:
    """Built through the API by `staff` (every permission): an object and a premise, `client`
    linked to it and logged in (its session), a personal account, an order, a document, a file
    import job, a mailing to the client and a lead. Texts carry `label`."""
    obj = await make_object(http, staff, f"ЖК {label}")
    premise_id = await make_premise(http, staff, obj, **(premise or {"number": "7"}))
    client_id = await make_client(http, staff, **client)
    await link(http, staff, premise_id, client_id)
    account = expect(await http.post(f"/crm/v1/premises/{premise_id}/accounts", headers=staff,
                                     json={"number": account_number}), 201)["id"]
    order = expect(await http.post("/crm/v1/orders", headers=staff, json={
        "kind": "requests", "premise_id": premise_id, "client_id": client_id, "title": f"Заявка {label}",
        "status": "waiting"}), 201)["id"]
    document = expect(await http.post(f"/crm/v1/premises/{premise_id}/documents", headers=staff, data={
        "name": f"Акт {label}", "description": "", "date": "2026-01-01"},
        files={"file": ("act.pdf", b"%PDF-1.4 act", "application/pdf")}), 201)["id"]
    session = (await login_resident(http, client["phone"]))["session_id"]
    job = expect(await http.post("/crm/v1/import/premises/file", headers=staff,
                                 files={"file": (file_name, b"<import/>", "application/xml")}), 202)["id"]
    mailing = expect(await http.post("/crm/v1/mailings", headers=staff, json={
        "channel": "push", "title": f"Рассылка {label}", "body": "Текст", "filter": {"client_ids": [client_id]}}),
        201)["id"]
    lead_id = expect(await http.post("/crm/v1/leads", headers=staff, json=lead), 201)["id"]
    return {"object_id": obj, "premise_id": premise_id, "client_id": client_id, "account_id": account,
            "order_id": order, "document_id": document, "session_id": session, "job_id": job,
            "mailing_id": mailing, "lead_id": lead_id}


def fill_path(path: str, ids: dict, walk: str) -> str:
    """`path` with each `{name}` / `{name:type}` replaced by `ids[name]` (`kind` by `premises`)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "kind":
            return "premises"
        if name not in ids:
            raise AssertionError(f"the {walk} walk does not know the path parameter {name!r} of {path}")
        return ids[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def plain(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def handlers(app):
    """(method, plain path, handler) of every route the app serves."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for method in sorted(handler.http_methods):
                if method not in ("HEAD", "OPTIONS"):
                    yield method, plain(route.path), handler


def takes_files(handler) -> bool:
    data = handler.parsed_fn_signature.parameters.get("data")
    return data is not None and getattr(data.kwarg_definition, "media_type", None) == RequestEncodingType.MULTI_PART


def multipart_routes(app) -> set[tuple[str, str]]:
    """(method, plain path) of the routes that take a file upload."""
    return {(method, path) for method, path, handler in handlers(app) if takes_files(handler)}


async def call(http, method: str, url: str, headers: dict, *, multipart: bool, json: dict | None = None):
    """One request of a walk: a file upload for a multipart route, else `json` on writes."""
    if multipart:
        return await http.request(method, url, headers=headers, data={"name": "Файл", "description": "",
                                                                      "date": "2026-01-02"},
                                  files={"file": ("walk.xml", b"<import/>", "application/xml")})
    return await http.request(method, url, headers=headers, json=json if method in ("POST", "PATCH", "PUT") else None)

# ---- device sessions (STAFF-04: a session belongs to the app it was opened in) ------------------

SESSION_ROUTE_PARAMS = re.compile(r"\{(session_id|device_id|delivery_id)\b")


async def white_label_resident(http, runtime, *, label: str, phone: str) -> dict:
    """A partner with a white-label app (its brand on its object) and its resident, linked to a
    premise there, logged in to that app and to the unified app under a device name carrying
    `label` and the app, with one push of the partner delivered to both devices (recorded, no
    FCM). `sessions` maps the app id (the brand slug, `domiland`) to its login answer."""
    import random

    from push.config import PushConfig
    from push.delivery import Deliverer
    from push.transport import RecordingTransport
    from tests.support import bearer, create_brand, create_partner, login_resident, staff_headers

    partner_id = await create_partner(http, name=f"УК {label}")
    slug = (await create_brand(http, partner_id))["slug"]
    staff = await staff_headers(http, partner_id)
    premise_id = await make_premise(http, staff, await make_object(http, staff, f"ЖК {label}", brand_slug=slug))
    client_id = await make_client(http, staff, "Тайнова", "Тайна", phone)
    await link(http, staff, premise_id, client_id)
    sessions = {}
    for app_id in (slug, "domiland"):
        login = await login_resident(http, phone, app_id=app_id, name=f"Телефон {label} {app_id}",
                                     model=f"Модель {label} {app_id}")
        expect(await http.put("/app/v1/device", headers=bearer(login["access_token"]), json={
            "fcm_token": f"token-{label}-{app_id}", "os_notifications_enabled": True}), 200)
        sessions[app_id] = login
    expect(await http.post("/crm/v1/notifications", headers=staff, json={
        "client_id": client_id, "type": "news", "title": f"Новости {label}", "body": "Текст"}), 201)
    await Deliverer(runtime, RecordingTransport(), PushConfig(), rng=random.Random(7)).drain()
    deliveries = expect(await http.get("/crm/v1/push/deliveries", headers=staff,
                                       params={"client_id": client_id}), 200)["items"]
    assert len(deliveries) == 2
    return {"partner_id": partner_id, "staff": staff, "client_id": client_id, "phone": phone, "slug": slug,
            "sessions": sessions, "delivery_ids": [d["id"] for d in deliveries]}
