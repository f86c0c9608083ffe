"""Demo data loads, is idempotent, and its resident can log in."""

from __future__ import annotations

from sqlalchemy import func, select

from core.demo import DEMO_PHONE, DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, load_demo_data
from core.models import Client, Partner, Premise, PremiseLink
from tests.support import expect, login_resident


async def test_demo_data_is_idempotent_and_usable(runtime, db, http):
    first = await load_demo_data(runtime)
    counts = [await db.scalar(select(func.count()).select_from(m)) for m in (Partner, Premise, Client, PremiseLink)]
    second = await load_demo_data(runtime)
    again = [await db.scalar(select(func.count()).select_from(m)) for m in (Partner, Premise, Client, PremiseLink)]
    assert "loaded" in first and "already" in second
    assert counts == again
    assert counts[0] == 2 and counts[1] >= 300
    roles = set((await db.scalars(select(PremiseLink.role).distinct())).all())
    assert {"owner", "resident", "tenant"} <= roles
    tokens = await login_resident(http, DEMO_PHONE, app_id="komfort")
    assert tokens["access_token"]
    staff = expect(await http.post("/crm/v1/auth/login", json={"email": DEMO_STAFF_EMAIL,
                                                                "password": DEMO_STAFF_PASSWORD}), 200)
    assert staff["access_token"]
