"""The `data` keys of every push the app receives: the contract the app team parses."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.enums import NOTIFICATION_TYPES


class PushPayload(msgspec.Struct, kw_only=True):
    """The `data` of every push the app receives (FCM data values are strings), beside the
    notification's `title` and `body`. The Android notification tag and the APNs collapse id are
    `notification_id`: a push sent again after an ambiguous FCM failure replaces the first on the
    phone instead of showing twice. Keys not listed here may be added; the app ignores them."""

    notification_id: Annotated[str, Meta(description="Our notification id (UUID): the inbox item's id, the "
                                                     "Android tag and the APNs collapse id")]
    type: Annotated[Literal[NOTIFICATION_TYPES], Meta(  # type: ignore[valid-type]
        description="The notification type (PUSH-02); the settings switch that allowed this push")]
    deep_link: Annotated[str, Meta(
        description="Where a tap leads (PUSH-04): app://people?premise_id=…, app://orders/{id}, "
                    "app://notifications/{id}, app://premises/{id}",
        examples=["app://orders/6f1c2a9e-8d43-4f0e-9b1a-2c3d4e5f6a7b"])] | UnsetType = UNSET
    brand: Annotated[str, Meta(description="The slug of the premise's brand: the unified app switches to it "
                                           "before opening the link", examples=["komfort"])] | UnsetType = UNSET
    premise_id: Annotated[str, Meta(description="The premise the push is about (UUID)")] | UnsetType = UNSET
