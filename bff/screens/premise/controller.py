"""Routes of My Premise (APP-PREM-06): the screen and the download of its public documents."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from bff.cache import SCREEN_RESIDENT, screen_answer
from bff.screens.premise.assembler import premise_screen
from bff.screens.premise.schemas import PremiseScreen
from core.auth.service import ResidentPrincipal
from core.errors import Common
from core.estate.documents import resident_document
from core.infra.storage import Storage
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.files import FILE_RESPONSE, STORAGE, download
from web.ids import path_id
from web.problems import problems


class PremiseScreenController(Controller):
    path = "/app/v1/screens"
    tags = ["App: screens"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("/premises/{premise_id:str}", operation_id="GetPremiseScreen", responses=problems(Common.NOT_FOUND),
         dependencies=SCREEN_RESIDENT)
    async def premise(self, request: Request, resident: ResidentPrincipal, premise_id: str) -> Response[PremiseScreen]:
        """APP-PREM-06: address, technical data, insurance (from the API only) and public documents."""
        premise = path_id(premise_id)
        return await screen_answer(request, resident, lambda db: premise_screen(db, resident.account_id, premise))


class PremiseDocumentController(Controller):
    path = "/app/v1/documents"
    tags = ["App: screens"]
    dependencies = {**RESIDENT, **STORAGE}
    security = RESIDENT_SECURITY

    @get("/{document_id:str}/file", operation_id="DownloadPremiseDocument",
         responses={**problems(Common.NOT_FOUND), **FILE_RESPONSE})
    async def download(self, resident: ResidentPrincipal, document_id: str, db: AsyncSession,
                       storage: Storage) -> Stream:
        """APP-PREM-06: a public document of one of the account's premises (the `download_url` of
        My Premise's documents)."""
        return await download(storage, await resident_document(db, resident.account_id, path_id(document_id)))
