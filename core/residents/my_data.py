"""My Data (APP-DATA-01): what the resident edits of its app account, and its photo."""

from __future__ import annotations

import uuid
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import rules as client_rules
from core.errors import InvalidInput, NotAuthenticated
from core.models import Account
from core.residents import repository, rules
from core.residents.rules import ResidentCode
from core.infra.storage import Storage

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}
MAX_PHOTO = 10 * 1024 * 1024


async def my_account(db: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await repository.account(db, account_id)
    if account is None:
        raise NotAuthenticated("Аккаунт не найден", code=ResidentCode.ACCOUNT_MISSING)
    return account


async def update_my_data(db: AsyncSession, account_id: uuid.UUID, changes: dict) -> Account:
    account = await my_account(db, account_id)
    rules.check_editable(changes, account.type)
    for field in ("last_name", "first_name", "middle_name"):
        if changes.get(field):
            changes[field] = client_rules.full_name_part(changes[field], field)  # CRM-CLI-02
    for field, value in changes.items():
        setattr(account, field, value)
    # A person has no organization name and an organization no full name.
    if account.type in rules.ORGANIZATION_TYPES:
        account.last_name = account.first_name = account.middle_name = None
    else:
        account.name = None
    await db.flush()
    return account


async def set_photo(db: AsyncSession, storage: Storage, account_id: uuid.UUID, *, content_type: str,
                    source: BinaryIO, size: int) -> Account:
    extension = PHOTO_TYPES.get((content_type or "").split(";")[0].strip().lower())
    if extension is None:
        raise InvalidInput.field("file", "Фото должно быть в формате JPEG, PNG, WebP или HEIC")
    if size > MAX_PHOTO:
        raise InvalidInput.field("file", "Фото больше 10 МБ")
    account = await my_account(db, account_id)
    name = f"{uuid.uuid4().hex}.{extension}"
    await storage.put(photo_key(account_id, name), source)
    account.photo_url = f"/app/v1/photos/{account_id}/{name}"
    await db.flush()
    return account


def photo_key(account_id: uuid.UUID, name: str) -> str:
    return f"photos/{account_id}/{name}"
