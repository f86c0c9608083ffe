"""A resident's world built through the CRM and admin APIs: partners with brands, objects,
premises linked to the resident's client cards, and the resident logged into an app."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.crm.estate import link, make_client, make_object, make_premise, next_phone
from tests.support import ADMIN, bearer, create_brand, create_partner, expect, login_resident, staff_headers


@dataclass
class PartnerWorld:
    id: str
    staff: dict
    brand: str  # slug of the default brand
    objects: dict[str, str] = field(default_factory=dict)


async def make_partner(http, slug: str, *, products: list[str] | None = None, kind: str = "management",
                       name: str | None = None) -> PartnerWorld:
    partner_id = await create_partner(http, name=name or f"УК {slug}", kind=kind,
                                      products=products if products is not None else ["requests", "marketplace",
                                                                                     "events"])
    await create_brand(http, partner_id, slug)
    expect(await http.patch(f"/crm/v1/partners/{partner_id}", headers=ADMIN,
                            json={"default_brand_slug": slug}), 200)
    return PartnerWorld(partner_id, await staff_headers(http, partner_id), slug)


async def client_in(http, partner: PartnerWorld, phone: str, last_name: str = "Иванова", **extra) -> str:
    """The partner's card of this phone (made once)."""
    found = expect(await http.get("/crm/v1/clients", headers=partner.staff, params={"q": phone}), 200)["items"]
    if found:
        return found[0]["id"]
    return await make_client(http, partner.staff, last_name, "Анна", phone, **extra)


async def give_premise(http, partner: PartnerWorld, phone: str, number: str = "12", *, object_name: str = "ЖК Солнечный",
                       type: str = "apartment", role: str = "owner", object_extra: dict | None = None, **premise_extra) -> str:
    """A new premise of the partner, linked (as owner) to the card of `phone`."""
    if object_name not in partner.objects:
        partner.objects[object_name] = await make_object(http, partner.staff, object_name, **(object_extra or {}))
    premise = await make_premise(http, partner.staff, partner.objects[object_name], number, type=type, **premise_extra)
    client = await client_in(http, partner, phone)
    await link(http, partner.staff, premise, client, role)
    return premise


async def app_login(http, phone: str, app_id: str = "domiland") -> dict:
    pair = await login_resident(http, phone, app_id=app_id)
    return bearer(pair["access_token"])


__all__ = ["PartnerWorld", "make_partner", "client_in", "give_premise", "app_login", "next_phone", "expect"]
