"""Builds the My Data screen (APP-DATA-01) from one SQL statement or from a loaded account, with the
fields the resident may edit."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bff.screens.my_data.schemas import MyDataScreen
from bff.sql import fetch_view
from core.errors import NotAuthenticated
from core.models import Account
from core.residents import rules
from core.residents.rules import ResidentCode

SQL = """SELECT json_build_object('type', a.type, 'last_name', a.last_name, 'first_name', a.first_name,
  'middle_name', a.middle_name, 'name', a.name, 'birth_date', a.birth_date, 'email', a.email, 'phone', a.phone,
  'gender', a.gender, 'photo_url', a.photo_url, 'editable', '[]'::json)::text FROM account a WHERE a.id = $1::uuid"""


async def my_data_screen(db: AsyncSession, account_id: uuid.UUID) -> MyDataScreen:
    screen = await fetch_view(db, MyDataScreen, SQL, account_id)
    if screen is None:
        raise NotAuthenticated("Аккаунт не найден", code=ResidentCode.ACCOUNT_MISSING)
    screen.editable = rules.editable_fields(screen.type)
    return screen


def my_data_of(account: Account) -> MyDataScreen:
    return MyDataScreen(type=account.type, last_name=account.last_name, first_name=account.first_name,
                        middle_name=account.middle_name, name=account.name, birth_date=account.birth_date,
                        email=account.email, phone=account.phone, gender=account.gender, photo_url=account.photo_url,
                        editable=rules.editable_fields(account.type))
