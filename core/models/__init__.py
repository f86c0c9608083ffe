"""SQLAlchemy models of SPEC.md section 2. Relationships are not mapped: every query is explicit."""

from core.models.activity import Activity, Notification, Order, OrderCounter
from core.models.base import Base
from core.models.device import (AppVisit, DeviceSession, Mailing, MailingRecipient,
                                NotificationSettingsEvent, PushDelivery, PushMessage, RefreshToken,
                                SmsMessage)
from core.models.estate import (Bill, Document, EstateObject, Insurance, Lot, Meter, MeterReading,
                                ObjectGroup, PersonalAccount, Premise, Quarter)
from core.models.idempotency import IdempotencyRecord
from core.models.imports import ImportJob
from core.models.partner import ApiKey, AuditRecord, Brand, Partner, Role, Staff
from core.models.people import (Account, Client, ClientAppUse, ClientExternalId, ClientPhoneHistory, Guest,
                                PremiseLink, RegistrationRequest)

__all__ = [
    "Account", "Activity", "ApiKey", "AppVisit", "AuditRecord", "Base", "Bill", "Brand", "Client",
    "ClientAppUse", "ClientExternalId", "ClientPhoneHistory", "DeviceSession", "Document", "EstateObject", "Guest", "IdempotencyRecord", "ImportJob",
    "Insurance", "Lot", "Mailing", "MailingRecipient", "Meter", "MeterReading", "Notification",
    "NotificationSettingsEvent", "ObjectGroup", "Order", "OrderCounter", "Partner", "PersonalAccount", "Premise",
    "PremiseLink", "PushDelivery", "RegistrationRequest", "PushMessage", "Quarter", "RefreshToken", "Role", "SmsMessage",
    "Staff",
]
