"""Money crosses the wire as strings with two decimals ("1520.00"), never as floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.errors import InvalidInput

CENT = Decimal("0.01")
FORMAT = 'Сумма — строка с не более чем двумя знаками после точки, например "1520.00"'
# Fits Numeric(12, 2) of bills; lots (Numeric(14, 2)) get the same cap, far above any price.
MAX_AMOUNT = Decimal("9999999999.99")


def parse_money(value: str | None, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise InvalidInput.field(field, FORMAT) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise InvalidInput.field(field, FORMAT)
    if amount < 0 or amount > MAX_AMOUNT:
        raise InvalidInput.field(field, "Сумма вне допустимого диапазона")
    return amount.quantize(CENT)


def format_money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount.quantize(CENT, rounding=ROUND_HALF_UP))
