"""My Data (APP-DATA-01): the screen, the edit and the photo upload."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, patch, put
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from bff.cache import SCREEN_RESIDENT, screen_answer
from bff.screens.my_data.assembler import my_data_of, my_data_screen
from bff.screens.my_data.schemas import (
    MyDataScreen,
    UpdateMeRequest,
    UploadPhotoRequest,
)
from core.auth.service import ResidentPrincipal
from core.errors import Common, NotFound
from core.residents import my_data
from core.residents.rules import ResidentCode
from core.infra.storage import Storage
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.files import STORAGE, stored
from web.ids import path_id
from web.problems import problems
from web.schemas import changes_of

PhotoUpload = Annotated[UploadPhotoRequest, Body(media_type=RequestEncodingType.MULTI_PART)]


class MyDataController(Controller):
    path = "/app/v1"
    tags = ["App: my data"]
    dependencies = {**RESIDENT, **STORAGE}
    security = RESIDENT_SECURITY

    @get("/screens/my-data", operation_id="GetMyDataScreen", responses=problems(ResidentCode.ACCOUNT_MISSING),
         dependencies=SCREEN_RESIDENT)
    async def screen(self, request: Request, resident: ResidentPrincipal) -> Response[MyDataScreen]:
        """APP-DATA-01: the account's own data with which fields it may edit (phone and gender are not
        editable)."""
        return await screen_answer(request, resident, lambda db: my_data_screen(db, resident.account_id))

    @patch("/me", operation_id="UpdateMe", responses=problems(ResidentCode.ACCOUNT_MISSING, ResidentCode.FIELD_NOT_EDITABLE))
    async def update_me(self, resident: ResidentPrincipal, data: UpdateMeRequest, db: AsyncSession) -> MyDataScreen:
        """Edit type, names, birth date, email; phone and gender answer 403 `field_not_editable`."""
        return my_data_of(await my_data.update_my_data(db, resident.account_id, changes_of(data)))

    @put("/me/photo", operation_id="UploadMyPhoto", responses=problems(Common.PAYLOAD_TOO_LARGE, ResidentCode.ACCOUNT_MISSING))
    async def upload_photo(self, resident: ResidentPrincipal, data: PhotoUpload, db: AsyncSession,
                           storage: Storage) -> MyDataScreen:
        """APP-DATA-01: uploads the account's photo (JPEG, PNG, WebP or HEIC, up to 10 MB); the answer is My
        Data with the new photo URL."""
        try:
            data.file.file.seek(0, 2)
            size = data.file.file.tell()
            data.file.file.seek(0)
            account = await my_data.set_photo(db, storage, resident.account_id, content_type=data.file.content_type,
                                              source=data.file.file, size=size)
        finally:
            await data.file.close()
        return my_data_of(account)

    @get("/photos/{account_id:str}/{name:str}", operation_id="GetPhoto", responses=problems(Common.NOT_FOUND))
    async def photo(self, resident: ResidentPrincipal, account_id: str, name: str, storage: Storage) -> Stream:
        """An account's photo, served only to residents who may see that account (itself or a co-resident)."""
        owner = path_id(account_id)
        extension = name.rsplit(".", 1)[-1]
        media = {v: k for k, v in my_data.PHOTO_TYPES.items()}.get(extension)
        if media is None or not name.replace(".", "").isalnum():
            raise NotFound("Фото не найдено")
        chunks = await stored(storage, my_data.photo_key(owner, name), missing="Фото не найдено")
        return Stream(chunks, media_type=media, headers={"X-Content-Type-Options": "nosniff"})
