"""Resident login by SMS code (`/app/v1/auth`)."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from bff.auth.schemas import (LoginRequest, OtpIssuedAnswer, RefreshRequest, RequestOtpRequest,
                              TokensAnswer)
from core.auth import service
from core.auth.service import AuthCode, DeviceInfo, ResidentPrincipal, TokenPair
from core.enums import UNIFIED_APP_ID
from core.errors import Common, InvalidInput
from core.partners import repository as partners
from core.infra.runtime import Runtime
from web.deps import RESIDENT, RESIDENT_SECURITY, client_ip
from core.phones import PhoneCode
from core.infra.sms import SmsCode
from web.problems import problems


def _tokens(rt: Runtime, pair: TokenPair) -> TokensAnswer:
    return TokensAnswer(access_token=pair.access_token, refresh_token=pair.refresh_token,
                        session_id=str(pair.session_id), account_id=str(pair.account_id),
                        expires_in=rt.settings.access_token_ttl)


class AppAuthController(Controller):
    path = "/app/v1/auth"
    tags = ["App: auth"]

    @post("/otp", status_code=HTTP_200_OK, operation_id="RequestOtp", responses=problems(Common.RULE_VIOLATION, Common.RATE_LIMITED, PhoneCode.INVALID_PHONE, AuthCode.SMS_COUNTRY_NOT_SERVED, AuthCode.OTP_TOO_SOON, AuthCode.OTP_PHONE_LIMITED, AuthCode.OTP_IP_LIMITED, AuthCode.SMS_BUDGET_EXHAUSTED, SmsCode.SMS_UNAVAILABLE, SmsCode.SMS_DISABLED))
    async def request_otp(self, data: RequestOtpRequest, runtime: Runtime, db: AsyncSession,
                          request: Request) -> OtpIssuedAnswer:
        """Send a one-time login code by SMS. With the debug SMS provider the answer carries it.
        Refused for a phone of a country not served (422, SMS_COUNTRIES), past the phone's or the
        caller's hourly codes (429) and past the platform's hourly SMS budget (503)."""
        issued = await service.request_otp(runtime, db, data.phone, ip=client_ip(request))
        return OtpIssuedAnswer(expires_in=issued.expires_in, debug_code=issued.debug_code)

    @post("/login", status_code=HTTP_200_OK, operation_id="Login", responses=problems(Common.RATE_LIMITED, PhoneCode.INVALID_PHONE, AuthCode.OTP_INVALID, AuthCode.OTP_EXPIRED, AuthCode.OTP_ATTEMPTS_EXCEEDED, AuthCode.LOGIN_IP_LIMITED))
    async def login(self, data: LoginRequest, runtime: Runtime, db: AsyncSession, request: Request) -> TokensAnswer:
        """Exchange the SMS code for tokens; every login opens a device session (PUSH-01)."""
        app_id = data.device.app_id
        if app_id != UNIFIED_APP_ID and await partners.brand_by_slug(db, app_id) is None:
            raise InvalidInput.field("device.app_id", "Неизвестное приложение")
        device = DeviceInfo(app_id=app_id, platform=data.device.platform, model=data.device.model,
                            name=data.device.name, os_version=data.device.os_version,
                            app_version=data.device.app_version)
        return _tokens(runtime, await service.login(runtime, db, data.phone, data.code, device, ip=client_ip(request)))

    @post("/refresh", status_code=HTTP_200_OK, operation_id="RefreshTokens", responses=problems(AuthCode.INVALID_REFRESH_TOKEN, AuthCode.REFRESH_TOKEN_EXPIRED, AuthCode.REFRESH_TOKEN_REUSED, AuthCode.SESSION_INACTIVE))
    async def refresh(self, data: RefreshRequest, runtime: Runtime, db: AsyncSession) -> TokensAnswer:
        """Rotate the refresh token. A refresh token used twice ends the session."""
        return _tokens(runtime, await service.refresh(runtime, db, data.refresh_token))

    @post("/logout", status_code=HTTP_204_NO_CONTENT, operation_id="Logout", dependencies=RESIDENT,
          security=RESIDENT_SECURITY, responses=problems())
    async def logout(self, resident: ResidentPrincipal, runtime: Runtime, db: AsyncSession) -> None:
        """PUSH-03: ends this device session: its tokens stop working at once and its device gets no more
        pushes."""
        await service.logout(runtime, db, resident)
