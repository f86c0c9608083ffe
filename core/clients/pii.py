"""Hides personal data from staff without the permission to see it (STAFF-02), in every answer.

Personal data masking (STAFF-02): without `clients.pii.name` full names (and organisation names,
birth dates and identity documents) leave the server as asterisks, without `clients.pii.contacts`
phones and emails do — everywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.partners.service import PartnerPrincipal

_VISIBLE = re.compile(r"\S")


def mask(value: str | None) -> str | None:
    if value is None:
        return None
    return _VISIBLE.sub("*", value)


@dataclass(frozen=True, slots=True)
class PiiPolicy:
    names: bool
    contacts: bool

    @classmethod
    def of(cls, actor: PartnerPrincipal) -> "PiiPolicy":
        return cls(names=actor.can("clients.pii.name"), contacts=actor.can("clients.pii.contacts"))

    def name(self, value: str | None) -> str | None:
        return value if self.names else mask(value)

    def organization(self, value: str | None) -> str | None:
        """A sole proprietor's organisation name is the person's name ("ИП Иванов И. И."); a
        legal entity's is what its full name shows, masked with it: both follow the names."""
        return self.name(value)

    def phone(self, value: str | None) -> str | None:
        return value if self.contacts else mask(value)

    def email(self, value: str | None) -> str | None:
        return value if self.contacts else mask(value)

    @property
    def revealed(self) -> list[str]:
        """The personal-data fields an answer under this policy shows unmasked."""
        return (["name"] if self.names else []) + (["phone", "email"] if self.contacts else [])
