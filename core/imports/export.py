"""Excel exports of premises and clients in the import template's columns (IMPORT-08), with the
CRM's filters and the actor's masking.

Rows are fetched a page at a time and written by openpyxl's write-only mode, so memory stays flat
however many rows there are."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from typing import IO

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record
from core.clients.pii import PiiPolicy
from core.clients.repository import app_accounts, external_ids_by_client, premises_of
from core.clients.service import ClientFilter, list_clients
from core.estate.premises import full_address
from core.estate.repository import PremiseFilter, accounts_of, links_of_premises, list_premises
from core.imports.formats import CLIENT_COLUMNS, PREMISE_COLUMNS, PREMISE_TYPE_LABEL, ROLE_LABEL, SHEETS, values_row
from core.partners.service import PartnerPrincipal
from core.residents.rules import account_name

PAGE = 1000


def _doc(number, when) -> str | None:
    if not number and not when:
        return None
    return ", ".join(p for p in (number, when.strftime("%d.%m.%Y") if when else None) if p)


async def export_premises(db: AsyncSession, actor: PartnerPrincipal, flt: PremiseFilter, sort: str) -> IO[bytes]:
    policy = PiiPolicy.of(actor)
    return await _export(db, actor, "premises", PREMISE_COLUMNS, policy, _premise_pages(db, actor, flt, sort, policy))


async def _premise_pages(db: AsyncSession, actor: PartnerPrincipal, flt: PremiseFilter, sort: str,
                         policy: PiiPolicy) -> AsyncIterator[list[list]]:
    cursor = None
    while True:
        rows, cursor = await list_premises(db, actor, flt, sort=sort, cursor=cursor, limit=PAGE)
        premises = [r.Premise for r in rows]
        ids = [p.id for p in premises]
        links: dict[uuid.UUID, list] = defaultdict(list)
        if ids:
            for link, client in await links_of_premises(db, ids):
                links[link.premise_id].append((link, client))
        external = await external_ids_by_client(db, [c.id for pairs in links.values() for _, c in pairs])
        accounts = await accounts_of(db, ids)
        lines = []
        for premise in premises:
            numbers = accounts.get(premise.id, [])
            base = {
                "external_id": premise.external_id, "object_id": str(premise.object_id),
                "type": PREMISE_TYPE_LABEL.get(premise.type, premise.type), "address": full_address(premise),
                "street": premise.street, "house": premise.house, "building": premise.building,
                "entrance": premise.entrance, "floor": premise.floor, "number": premise.number,
                "total_area": float(premise.total_area) if premise.total_area is not None else None,
                "living_area": float(premise.living_area) if premise.living_area is not None else None,
                "rooms": premise.rooms, "tags": ", ".join(premise.tags),
                "account_external_id": ", ".join(a.external_id or "" for a in numbers) or None,
                "account_number": ", ".join(a.number for a in numbers) or None,
                "account_els": ", ".join(a.els for a in numbers if a.els) or None,
            }
            for link, client in links.get(premise.id) or [(None, None)]:
                line = dict(base)
                if client is not None:
                    line.update({
                        "client_external_id": ", ".join(external.get(client.id, [])) or None,
                        "client_phone": policy.phone(client.phone), "client_last_name": policy.name(client.last_name),
                        "client_first_name": policy.name(client.first_name),
                        "client_middle_name": policy.name(client.middle_name),
                        "client_role": ROLE_LABEL.get(link.role, link.role),
                        "client_share": float(link.share) if link.share is not None else None,
                        "client_rent_day": link.rent_day,
                        "certificate": _doc(link.certificate_number, link.certificate_date),
                        "ddu": _doc(link.ddu_number, link.ddu_date),
                        "acceptance_act": _doc(link.acceptance_act_number, link.acceptance_act_date),
                        "management_contract": _doc(link.management_contract_number, link.management_contract_date),
                    })
                lines.append([line.get(c.key) for c in PREMISE_COLUMNS])
        yield lines
        if cursor is None:
            return


async def export_clients(db: AsyncSession, actor: PartnerPrincipal, flt: ClientFilter, sort: str) -> IO[bytes]:
    policy = PiiPolicy.of(actor)
    return await _export(db, actor, "clients", CLIENT_COLUMNS, policy, _client_pages(db, actor, flt, sort, policy))


async def _client_pages(db: AsyncSession, actor: PartnerPrincipal, flt: ClientFilter, sort: str,
                        policy: PiiPolicy) -> AsyncIterator[list[list]]:
    cursor = None
    while True:
        rows, cursor = await list_clients(db, actor, flt, sort=sort, cursor=cursor, limit=PAGE)
        clients = [r.Client for r in rows]
        linked = await premises_of(db, [c.id for c in clients])
        external = await external_ids_by_client(db, [c.id for c in clients])
        accounts = await accounts_of(db, list({p.premise_id for items in linked.values() for p in items}))
        app_names = await _app_names(db, [c.phone for c in clients if c.phone])
        lines = []
        for row, client in zip(rows, clients, strict=True):
            premises = linked.get(client.id, [])
            line = {
                "external_id": ", ".join(external.get(client.id, [])[:1]) or None,
                "phone": policy.phone(client.phone), "last_name": policy.name(client.last_name),
                "first_name": policy.name(client.first_name), "middle_name": policy.name(client.middle_name),
                "email": policy.email(client.email),
                "birth_date": client.birth_date.strftime("%d.%m.%Y") if client.birth_date and policy.names else None,
                "loyalty_card": client.loyalty_card,
                "premises": "; ".join(f"{full_address(p.premise)} ({ROLE_LABEL.get(p.role, p.role)})" for p in premises),
                "personal_accounts": ", ".join(a.number for p in premises for a in accounts.get(p.premise_id, [])),
                "entrances": ", ".join(sorted({p.premise.entrance for p in premises if p.premise.entrance})),
                "floors": ", ".join(str(f) for f in sorted({p.premise.floor for p in premises})),
                "first_login_at": row.first_login_at.strftime("%d.%m.%Y %H:%M") if row.first_login_at else None,
                "last_visit_at": row.last_visit_at.strftime("%d.%m.%Y %H:%M") if row.last_visit_at else None,
                "external_ids": ", ".join(external.get(client.id, [])),
                # Only where the partner sees the app use (STAFF-04), as on the card.
                "app_name": policy.name(app_names.get(client.phone)) if row.first_login_at else None,
            }
            lines.append([line.get(c.key) for c in CLIENT_COLUMNS])
        yield lines
        if cursor is None:
            return


async def _app_names(db: AsyncSession, phones: list[str]) -> dict[str, str]:
    """CRM-CLI-01: the name each client gave in the app (the account of the card's phone)."""
    names = {r.phone: account_name(r.type, r.last_name, r.first_name, r.middle_name, r.name)
             for r in await app_accounts(db, phones)}
    return {phone: name for phone, name in names.items() if name}


def _append(sheet, lines) -> None:
    for line in lines:
        sheet.append(values_row(sheet, line))


async def _export(db: AsyncSession, actor: PartnerPrincipal, kind: str, columns, policy: PiiPolicy,
                  pages: AsyncIterator[list[list]]) -> IO[bytes]:
    """One sheet of `columns` filled page by page, the export recorded in the audit trail."""
    with _workbook(SHEETS[kind], [c.title for c in columns]) as (book, sheet):
        total = 0
        async for lines in pages:
            await asyncio.to_thread(_append, sheet, lines)
            total += len(lines)
        await record(db, actor, f"export.{kind}", fields=policy.revealed, details={"rows": total})
        return await asyncio.to_thread(_save, book)


@contextlib.contextmanager
def _workbook(title: str, header: list[str]) -> Iterator[tuple[Workbook, object]]:
    """A write-only workbook with one sheet and its header row. Should filling it fail (a bad
    filter, a lost connection), the sheet's writer is closed at once rather than left to the
    garbage collector, which would write to its already closed temporary file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(values_row(sheet, header))
    try:
        yield book, sheet
    except BaseException:
        with contextlib.suppress(Exception):
            sheet.close()
        raise


def _save(book: Workbook) -> IO[bytes]:
    target = tempfile.TemporaryFile()
    book.save(target)
    target.seek(0)
    return target
