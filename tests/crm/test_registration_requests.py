"""Registration requests from the app and unidentified showcase leads (STAFF-05)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import Client, Notification, PremiseLink, PushMessage, RegistrationRequest
from tests.crm import factories as f
from tests.support import api_key_headers, create_partner, expect, login_resident, staff_headers

HANDLER = ["reports.registration_requests", "clients.pii.name", "clients.pii.contacts"]


async def _world(http, db):
    partner = await create_partner(http)
    premise = await f.premise(db, partner)
    return partner, premise, await staff_headers(http, partner)


async def _request(db, partner, phone, *, account_id=None, details=None, kind="premise_request"):
    row = RegistrationRequest(partner_id=f.uid(partner), kind=kind, phone=phone,
                              account_id=f.uid(account_id) if account_id else None, address="ул. Ленина, 5",
                              number="12", role="owner", details=details)
    db.add(row)
    await db.flush()
    return row


async def _approve(http, request, headers, **body):
    return await http.post(f"/crm/v1/registration-requests/{request.id}/approve", headers=headers, json=body)


async def test_staff_05_requests_and_leads_are_lists_of_their_own(http, db):
    """Rule: STAFF-05 — registration requests and showcase leads are separate lists."""
    partner, _, staff = await _world(http, db)
    request = await _request(db, partner, f.phone())
    lead = expect(await http.post("/crm/v1/leads", headers=staff, json={"phone": "8 (999) 765-43-21",
                                                                       "comment": "Интересует 2-к"}), 201)
    requests = expect(await http.get("/crm/v1/registration-requests?kind=premise_request", headers=staff), 200)
    assert [r["id"] for r in requests["items"]] == [str(request.id)]
    leads = expect(await http.get("/crm/v1/registration-requests?kind=showcase_lead", headers=staff), 200)
    assert [(r["id"], r["phone"], r["comment"]) for r in leads["items"]] == [
        (lead["id"], "+79997654321", "Интересует 2-к")]
    assert expect(await http.get("/crm/v1/registration-requests?status=approved", headers=staff), 200)["items"] == []
    assert (await http.get("/crm/v1/registration-requests?kind=other", headers=staff)).status_code == 400


async def test_staff_05_approving_creates_the_client_and_link_and_notifies(http, db):
    """Rule: STAFF-05 — approving creates the client card and the link and notifies the resident."""
    partner, premise, staff = await _world(http, db)
    phone = f.phone()
    login = await login_resident(http, phone)
    request = await _request(db, partner, phone, account_id=login["account_id"],
                             details={"last_name": "Сидоров", "first_name": "Пётр"})
    approved = expect(await _approve(http, request, staff, premise_id=str(premise.id), role="owner"), 200)
    client = await db.scalar(select(Client).where(Client.id == f.uid(approved["client_id"])))
    assert (client.phone, client.last_name, client.first_name) == (phone, "Сидоров", "Пётр")
    link = await db.scalar(select(PremiseLink).where(PremiseLink.client_id == client.id))
    assert link.premise_id == premise.id and link.role == "owner"
    await db.refresh(request)
    assert request.status == "approved" and request.decided_by_staff_id is not None
    inbox = await db.scalar(select(Notification).where(Notification.account_id == f.uid(login["account_id"])))
    assert inbox.deep_link == f"app://premises/{premise.id}" and inbox.premise_id == premise.id
    push = await db.scalar(select(PushMessage).where(PushMessage.account_id == f.uid(login["account_id"])))
    assert push.deep_link == f"app://premises/{premise.id}"
    again = await _approve(http, request, staff, premise_id=str(premise.id), role="owner")
    assert again.status_code == 409
    listed = expect(await http.get("/crm/v1/registration-requests?status=approved", headers=staff), 200)
    assert [r["id"] for r in listed["items"]] == [str(request.id)]


async def test_staff_05_an_existing_card_is_reused_and_roles_follow_crm_link_01(http, db):
    """Rule: STAFF-05, CRM-LINK-01 — the partner's card for the phone is reused; a non-owner
    role names the owner it depends on; a tenant needs a rent day."""
    partner, premise, staff = await _world(http, db)
    owner = await f.client(db, partner)
    await f.link(db, premise, owner)
    resident = await f.client(db, partner, last_name="Смирнова", first_name="Ольга")
    request = await _request(db, partner, resident.phone, details={"name": "Другое Имя"})
    bad = await _approve(http, request, staff, premise_id=str(premise.id), role="resident")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "depends_on_client_id"
    bad = await _approve(http, request, staff, premise_id=str(premise.id), role="tenant",
                         depends_on_client_id=str(owner.id))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "rent_day"
    await db.refresh(request)
    assert request.status == "pending"
    approved = expect(await _approve(http, request, staff, premise_id=str(premise.id), role="resident",
                                     depends_on_client_id=str(owner.id)), 200)
    assert approved["client_id"] == str(resident.id) and approved["role"] == "resident"
    assert await db.scalar(select(func.count()).select_from(Client).where(Client.phone == resident.phone)) == 1


async def test_staff_05_lead_without_names_becomes_a_card_with_its_phone(http, db):
    partner, premise, staff = await _world(http, db)
    lead = expect(await http.post("/crm/v1/leads", headers=staff, json={"phone": "+7 999 111-22-33",
                                                                       "name": "Анна"}), 201)
    request = await db.get(RegistrationRequest, f.uid(lead["id"]))
    approved = expect(await _approve(http, request, staff, premise_id=str(premise.id), role="owner"), 200)
    client = await db.get(Client, f.uid(approved["client_id"]))
    assert client.phone == "+79991112233" and client.first_name == "Анна" and client.last_name is None
    # The resident never logged in: the inbox item waits for them, no push is sent.
    assert await db.scalar(select(func.count()).select_from(Notification)) == 1
    assert await db.scalar(select(func.count()).select_from(PushMessage)) == 0


async def test_rejecting_a_request(http, db):
    partner, premise, staff = await _world(http, db)
    request = await _request(db, partner, f.phone())
    decided = expect(await http.post(f"/crm/v1/registration-requests/{request.id}/reject", headers=staff,
                                     json={"reason": "Нет такого помещения"}), 200)
    assert decided == {"id": str(request.id), "status": "rejected"}
    again = await _approve(http, request, staff, premise_id=str(premise.id), role="owner")
    assert again.status_code == 409 and again.json()["code"] == "registration_request_decided"


async def test_registration_requests_need_their_permission_and_stay_in_the_partner(http, db):
    """Rule: STAFF-04 — another partner's request is 404, another partner's premise a 400."""
    partner, premise, staff = await _world(http, db)
    request = await _request(db, partner, f.phone())
    without = await staff_headers(http, partner, permissions=["clients.edit"])
    assert (await http.get("/crm/v1/registration-requests", headers=without)).status_code == 403
    denied = await _approve(http, request, without, premise_id=str(premise.id), role="owner")
    assert denied.status_code == 403 and denied.json()["code"] == "permission_required"
    other, other_premise, stranger = await _world(http, db)
    bad = await _approve(http, request, staff, premise_id=str(other_premise.id), role="owner")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "premise_id"
    assert (await _approve(http, request, stranger, premise_id=str(other_premise.id), role="owner")).status_code == 404
    assert (await http.post(f"/crm/v1/registration-requests/{request.id}/reject", headers=stranger,
                            json={})).status_code == 404
    assert expect(await http.get("/crm/v1/registration-requests", headers=stranger), 200)["items"] == []
    await db.refresh(request)
    assert request.status == "pending"
    assert await db.scalar(select(func.count()).select_from(PremiseLink)) == 0


async def test_staff_02_registration_lists_mask_personal_data(http, db):
    """Rule: STAFF-02 — without the PII permissions names and phones in the lists are masked."""
    partner, _, _ = await _world(http, db)
    await _request(db, partner, "+79990001122", details={"last_name": "Сидоров", "first_name": "Пётр"})
    masked = await staff_headers(http, partner, permissions=["reports.registration_requests"])
    item = expect(await http.get("/crm/v1/registration-requests", headers=masked), 200)["items"][0]
    assert item["phone"] == "************" and item["full_name"] == "******* ****"
    full = await staff_headers(http, partner, permissions=HANDLER)
    item = expect(await http.get("/crm/v1/registration-requests", headers=full), 200)["items"][0]
    assert item["phone"] == "+79990001122" and item["full_name"] == "Сидоров Пётр"


async def test_leads_from_the_site(http, db):
    partner, premise, _ = await _world(http, db)
    key = await api_key_headers(http, partner)
    body = {"phone": "8 999 222-33-44", "object_id": str(premise.object_id)}
    first = expect(await http.post("/crm/v1/leads", headers=key, json=body), 201)
    again = expect(await http.post("/crm/v1/leads", headers=key, json={**body, "comment": "Перезвонить"}), 201)
    assert again == {"id": first["id"], "created": False}
    lead = await db.get(RegistrationRequest, f.uid(first["id"]))
    await db.refresh(lead)
    assert lead.kind == "showcase_lead" and lead.phone == "+79992223344" and lead.details["comment"] == "Перезвонить"
    bad = await http.post("/crm/v1/leads", headers=key, json={"phone": "12"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "phone"
    _, other_premise, _ = await _world(http, db)
    bad = await http.post("/crm/v1/leads", headers=key, json={**body, "object_id": str(other_premise.object_id)})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "object_id"
    reader = await staff_headers(http, partner, permissions=["reports.registration_requests"])
    assert (await http.post("/crm/v1/leads", headers=reader, json=body)).status_code == 403


async def test_staff_05_a_request_approved_as_an_unconfirmed_owner_names_no_owner(http, db):
    """Rules: STAFF-05, CRM-LINK-01 — a resident whose ownership is not confirmed yet is linked as
    an unconfirmed owner of a premise that has no owner: the link depends on nobody."""
    partner, premise, staff = await _world(http, db)
    request = await _request(db, partner, f.phone(), details={"last_name": "Новосёлов", "first_name": "Нил"})
    approved = expect(await _approve(http, request, staff, premise_id=str(premise.id), role="unconfirmed_owner"), 200)
    link = await db.scalar(select(PremiseLink).where(PremiseLink.client_id == f.uid(approved["client_id"])))
    assert (link.role, link.depends_on_client_id) == ("unconfirmed_owner", None)
