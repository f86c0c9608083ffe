"""The closed vocabularies of the domain (SPEC.md section 2). The database checks them too."""

from __future__ import annotations

PARTNER_KINDS = ("management", "developer", "both")
PREMISE_TYPES = (
    "apartment", "parking_space", "storage", "apartments", "non_residential", "house",
    "townhouse", "duplex", "room", "land",
)
CLIENT_TYPES = ("individual", "sole_proprietor", "legal_entity", "foreign_branch")
CLIENT_STATUSES = ("active", "blocked")
GENDERS = ("male", "female")
LINK_ROLES = ("owner", "resident", "representative", "tenant", "unconfirmed_owner")
ORDER_KINDS = ("requests", "services", "events")
ORDER_STATUSES = (
    "waiting", "in_progress", "paused", "approval", "needs_clarification", "done", "cancelled",
    "planned", "ongoing", "finished",
)
ACTIVITY_TYPES = (
    "request", "marketplace_order", "bill_payment", "meter_reading", "one_time_pass",
    "permanent_pass", "poll", "owners_meeting", "call",
)
LOT_STAGES = ("booking", "deal", "acceptance")
REGISTRATION_KINDS = ("premise_request", "showcase_lead")
REGISTRATION_STATUSES = ("pending", "approved", "rejected")
PERMISSIONS = (
    "premises.edit", "clients.edit", "clients.pii.name", "clients.pii.contacts",
    "clients.activity", "clients.tags.edit", "reports.clients", "reports.registration_requests",
    "sessions.manage", "mailings.send",
)
NOTIFICATION_TYPES = (
    "requests", "bills", "news", "events", "marketplace", "people", "rent", "meters", "passes",
    "polls", "mailings", "chat",
)
UNIFIED_APP_ID = "domiland"
PUSH_STATUSES = ("pending", "sending", "sent", "failed", "skipped", "recorded")
MAILING_CHANNELS = ("push", "sms")


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint body limiting a text column to a vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
