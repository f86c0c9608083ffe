"""Request and answer Structs of the app's device endpoint (API.md)."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from web.schemas import LenientInput, Output

Token = Annotated[str, Meta(max_length=4096)]


class UpdateDeviceRequest(LenientInput, kw_only=True):
    fcm_token: Token | None | UnsetType = UNSET
    os_notifications_enabled: bool | UnsetType = UNSET
    notification_types: dict[str, bool] | UnsetType = UNSET


class DeviceSettings(Output, kw_only=True):
    session_id: str
    push_token_registered: bool
    os_notifications_enabled: bool | None
    notification_types: dict[str, bool]
    settings_changed_at: str | None
