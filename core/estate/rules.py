"""The premise address and the brand of a premise, each as a Python function beside its SQL twin.

Estate rules needed both in Python and inside screen SQL, each written once as a pair: the Python
function and its SQL fragment side by side (tests/core/test_estate_twins.py holds them to the same
answers on every case)."""

from __future__ import annotations

# Premise types whose number is an apartment's ("кв."); every other type shows "№".
APARTMENT_TYPES = ("apartment", "apartments", "room")


def address_text(*, type: str, street: str, house: str, building: str | None, number: str) -> str:
    """A premise's address as residents and staff read it: `ул. Ленина, д. 5, корп. 2, кв. 12`."""
    parts = [f"ул. {street}", f"д. {house}"]
    if building:
        parts.append(f"корп. {building}")
    parts.append(f"{'кв.' if type in APARTMENT_TYPES else '№'} {number}")
    return ", ".join(parts)


def address_sql(p: str) -> str:
    """`address_text` in SQL over the premise row aliased `p`."""
    kinds = ", ".join(f"'{t}'" for t in APARTMENT_TYPES)
    return (f"concat_ws(', ', 'ул. ' || {p}.street, 'д. ' || {p}.house, 'корп. ' || NULLIF({p}.building, ''), "
            f"CASE WHEN {p}.type IN ({kinds}) THEN 'кв. ' ELSE '№ ' END || {p}.number)")


def premise_brand(object_brand_id, partner_default_brand_id):
    """The brand of a premise: its object's brand, else its partner's default brand (none if
    neither is set)."""
    return object_brand_id if object_brand_id is not None else partner_default_brand_id


def premise_brand_sql(obj: str, partner: str) -> str:
    """`premise_brand` in SQL over the object row aliased `obj` and the partner row `partner`."""
    return f"COALESCE({obj}.brand_id, {partner}.default_brand_id)"
