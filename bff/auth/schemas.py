"""Request and answer bodies of the app's SMS login: the code request, login with the device
description a session is created from (PUSH-01), token refresh and the issued tokens."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from web.schemas import LenientInput, Output, Phone

DeviceText = Annotated[str, Meta(max_length=100)]


class RequestOtpRequest(LenientInput, kw_only=True):
    phone: Phone


class OtpIssuedAnswer(Output, kw_only=True, omit_defaults=True):
    expires_in: int
    debug_code: str | None = None


class DeviceDescription(LenientInput, kw_only=True):
    app_id: Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    platform: Literal["ios", "android", "web"]
    model: DeviceText | None = None
    name: DeviceText | None = None
    os_version: Annotated[str, Meta(max_length=50)] | None = None
    app_version: Annotated[str, Meta(max_length=50)] | None = None


class LoginRequest(LenientInput, kw_only=True):
    phone: Phone
    code: Annotated[str, Meta(min_length=4, max_length=8, pattern=r"^\s*\d+\s*$")]
    device: DeviceDescription


class RefreshRequest(LenientInput, kw_only=True):
    refresh_token: Annotated[str, Meta(min_length=10, max_length=200)]


class TokensAnswer(Output, kw_only=True):
    access_token: str
    refresh_token: str
    session_id: str
    account_id: str
    token_type: str = "Bearer"
    expires_in: int
