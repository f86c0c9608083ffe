"""A small, repeatable data set for trying the API on a local run (`bff demo-data`).

Demo data for a local run (`bff demo-data`): two partners, brands, objects, a few hundred premises,
clients in several roles, personal accounts with bills, and a demo resident who logs in with a known
phone through the debug SMS provider. Loading twice changes nothing."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal


from core.infra.db import commit
from core.enums import PERMISSIONS
from core.models import (Bill, Brand, Client, ClientExternalId, EstateObject, Lot, Order, Partner,
                         PersonalAccount, Premise, PremiseLink, Role, Staff)
from core.infra.runtime import Runtime
from core.infra.security import hash_password_off_loop

DEMO = uuid.UUID("6f1c1d0e-0000-4000-8000-000000000000")
DEMO_PHONE = "+79000000001"
DEMO_STAFF_EMAIL = "admin@komfort.demo"
DEMO_STAFF_PASSWORD = "demo-password"
FIRST_NAMES = ["Анна", "Иван", "Мария", "Пётр", "Елена", "Сергей", "Ольга", "Дмитрий", "Наталья", "Алексей"]
LAST_NAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
              "Фёдоров"]
STREETS = ["Ленина", "Садовая", "Набережная"]


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO, name)


def _colors(primary: str) -> dict[str, str]:
    return {"primary": primary, "secondary": "#FFFFFF", "accent": "#FF7043", "background": "#F5F5F5",
            "text": "#212121"}


async def load_demo_data(rt: Runtime) -> str:
    async with rt.sessionmaker() as db:
        if await db.get(Partner, _id("partner:komfort")) is not None:
            return _summary("demo data is already loaded", rt)
        rng = random.Random(20261124)
        komfort = Partner(id=_id("partner:komfort"), name="УК «Комфорт-Сервис»", kind="management",
                          products=["events", "insurance", "marketplace", "meters", "payments", "requests"])
        gorizont = Partner(id=_id("partner:gorizont"), name="ГК «Горизонт»", kind="developer",
                           products=["requests", "showcase"])
        db.add_all([komfort, gorizont])
        await db.flush()
        brands = {
            "komfort": Brand(id=_id("brand:komfort"), partner_id=komfort.id, slug="komfort", name="Комфорт",
                             colors=_colors("#1E88E5"), icon_url="https://cdn.example.com/komfort/icon.png"),
            "komfort-premium": Brand(id=_id("brand:komfort-premium"), partner_id=komfort.id, slug="komfort-premium",
                                     name="Комфорт Премиум", colors=_colors("#6D4C41"),
                                     icon_url="https://cdn.example.com/komfort-premium/icon.png"),
            "gorizont": Brand(id=_id("brand:gorizont"), partner_id=gorizont.id, slug="gorizont", name="Горизонт",
                              colors=_colors("#43A047"), icon_url="https://cdn.example.com/gorizont/icon.png"),
        }
        db.add_all(brands.values())
        await db.flush()
        komfort.default_brand_id = brands["komfort"].id
        gorizont.default_brand_id = brands["gorizont"].id
        role = Role(id=_id("role:komfort-admin"), partner_id=komfort.id, name="Администратор",
                    permissions=list(PERMISSIONS))
        db.add(role)
        await db.flush()
        db.add(Staff(partner_id=komfort.id, role_id=role.id, email=DEMO_STAFF_EMAIL, name="Администратор УК",
                     password_hash=await hash_password_off_loop(DEMO_STAFF_PASSWORD)))

        objects = [
            (komfort, "ЖК «Солнечный»", "Ленина", brands["komfort"], 120),
            (komfort, "ЖК «Речной»", "Набережная", brands["komfort"], 100),
            (komfort, "Клубный дом «Премьер»", "Садовая", brands["komfort-premium"], 40),
            (gorizont, "ЖК «Горизонт»", "Ленина", brands["gorizont"], 60),
        ]
        phone_seq = iter(range(10_000, 99_999))
        demo_premises: list[Premise] = []
        for partner, name, street, brand, count in objects:
            house = str(len(name) % 9 + 1)
            obj = EstateObject(id=_id(f"object:{name}"), partner_id=partner.id, name=name,
                               address=f"г. Москва, ул. {street}, д. {house}", postal_code="101000",
                               image_url=f"https://cdn.example.com/objects/{_id(name).hex[:8]}.jpg", brand_id=brand.id)
            db.add(obj)
            await db.flush()
            for n in range(1, count + 1):
                kind = "apartment" if n % 10 else rng.choice(["parking_space", "storage"])
                total = Decimal(rng.randint(28, 120)) if kind == "apartment" else Decimal(rng.randint(3, 18))
                premise = Premise(id=_id(f"premise:{name}:{n}"), partner_id=partner.id, object_id=obj.id, type=kind,
                                  street=street, house=house, number=str(n), entrance=str(1 + n // 40),
                                  floor=1 + (n % 40) // 4 if kind == "apartment" else -1, total_area=total,
                                  living_area=(total * Decimal("0.7")).quantize(Decimal("0.01"))
                                  if kind == "apartment" else None,
                                  rooms=rng.randint(1, 4) if kind == "apartment" else None,
                                  external_id=f"P-{partner.name[:2]}-{name[-4:-1]}-{n}")
                db.add(premise)
                if n <= 2:
                    demo_premises.append(premise)
                await db.flush()
                if partner is komfort:
                    account = PersonalAccount(partner_id=partner.id, premise_id=premise.id,
                                              number=f"{obj.name[-3:-1]}{n:06d}", legal_entity=partner.name)
                    db.add(account)
                    await db.flush()
                    db.add(Bill(partner_id=partner.id, personal_account_id=account.id, period=date(2026, 10, 1),
                                amount_due=Decimal(rng.randint(1500, 9000)) + Decimal("0.50")))
                if n <= 2:
                    continue  # the demo resident owns these
                owner = _client(rng, partner, f"+7916{next(phone_seq):07d}")
                db.add(owner)
                await db.flush()
                db.add(ClientExternalId(partner_id=partner.id, client_id=owner.id, value=f"C-{owner.id.hex[:10]}",
                                        note="1C"))
                db.add(PremiseLink(partner_id=partner.id, premise_id=premise.id, client_id=owner.id, role="owner",
                                   share=Decimal("1")))
                if n % 3 == 0:
                    resident = _client(rng, partner, f"+7916{next(phone_seq):07d}")
                    db.add(resident)
                    await db.flush()
                    role_name = "tenant" if n % 2 else "resident"
                    db.add(PremiseLink(partner_id=partner.id, premise_id=premise.id, client_id=resident.id,
                                       role=role_name, depends_on_client_id=owner.id,
                                       rent_day=10 if role_name == "tenant" else None))
        await db.flush()

        demo_clients = {}
        for partner in (komfort, gorizont):
            client = Client(id=_id(f"client:demo:{partner.id}"), partner_id=partner.id, last_name="Демидова",
                            first_name="Ксения", middle_name="Андреевна", phone=DEMO_PHONE, email="demo@example.com",
                            gender="female", birth_date=date(1990, 5, 17))
            db.add(client)
            demo_clients[partner.id] = client
        await db.flush()
        for premise in demo_premises:
            db.add(PremiseLink(partner_id=premise.partner_id, premise_id=premise.id,
                               client_id=demo_clients[premise.partner_id].id, role="owner", share=Decimal("1")))
        family = _client(rng, komfort, "+79000000002")
        db.add(family)
        await db.flush()
        db.add(PremiseLink(partner_id=komfort.id, premise_id=demo_premises[0].id, client_id=family.id,
                           role="resident", depends_on_client_id=demo_clients[komfort.id].id))
        now = rt.clock.now()
        for number, (title, status, days) in enumerate([
            ("Протечка в ванной", "in_progress", 2), ("Замена лампы в подъезде", "done", 20),
            ("Не работает домофон", "waiting", 1),
        ], start=1):
            db.add(Order(partner_id=komfort.id, kind="requests", number=number, title=title, status=status,
                         premise_id=demo_premises[0].id, client_id=demo_clients[komfort.id].id,
                         created_at=now - timedelta(days=days), changed_for_client_at=now - timedelta(days=days)))
        db.add(Lot(partner_id=gorizont.id, object_id=demo_premises[-1].object_id, premise_id=demo_premises[-1].id,
                   client_id=demo_clients[gorizont.id].id, stage="deal", title="Квартира 2, 3 этаж",
                   characteristics={"rooms": 2, "area": "54.3"}, price=Decimal("12500000.00")))
        await commit(db)
    return _summary("demo data loaded", rt)


def _client(rng: random.Random, partner: Partner, phone: str) -> Client:
    female = rng.random() < 0.5
    last = rng.choice(LAST_NAMES) + ("а" if female else "")
    first = rng.choice(FIRST_NAMES[0::2] if female else FIRST_NAMES[1::2])
    return Client(partner_id=partner.id, last_name=last, first_name=first, phone=phone,
                  gender="female" if female else "male")


def _summary(status: str, rt: Runtime) -> str:
    admin = "" if rt.settings.is_production else f"\n  platform admin: Bearer {rt.settings.platform_admin_token}"
    return (f"{status}.\n"
            f"  demo resident: phone {DEMO_PHONE}; POST /app/v1/auth/otp answers with "
            f"{'debug_code' if rt.sms.reveals_codes else 'no debug_code (SMS_PROVIDER is not debug)'}\n"
            f"  demo staff:    {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD} at POST /crm/v1/auth/login" + admin)
