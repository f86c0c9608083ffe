"""The resident app's device endpoint (`PUT /app/v1/device`, PUSH-02)."""

from __future__ import annotations

from litestar import Controller, put
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from bff.devices.schemas import DeviceSettings, UpdateDeviceRequest
from core.auth.service import ResidentPrincipal
from core.errors import Common
from core.notifications import rules
from core.notifications.devices import DeviceUpdate, update_device
from core.infra.runtime import Runtime
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.problems import problems
from web.schemas import iso


class DeviceController(Controller):
    path = "/app/v1/device"
    tags = ["App: device"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @put("", operation_id="UpdateDevice", responses=problems(Common.NOT_FOUND))
    async def update(self, resident: ResidentPrincipal, data: UpdateDeviceRequest, runtime: Runtime,
                     db: AsyncSession) -> DeviceSettings:
        """Report the FCM token, the OS notification permission and the per-type switches. Fields
        left out keep their value; a type never reported counts as on."""
        change = DeviceUpdate(
            fcm_token=None if data.fcm_token is UNSET else data.fcm_token, token_sent=data.fcm_token is not UNSET,
            os_notifications_enabled=None if data.os_notifications_enabled is UNSET else data.os_notifications_enabled,
            os_sent=data.os_notifications_enabled is not UNSET,
            notification_types=None if data.notification_types is UNSET else data.notification_types)
        session = await update_device(runtime, db, resident.session_id, change)
        return DeviceSettings(session_id=str(session.id), push_token_registered=bool(session.fcm_token),
                              os_notifications_enabled=session.os_notifications_enabled,
                              notification_types=rules.effective_types(session.notification_types),
                              settings_changed_at=iso(session.settings_changed_at))
