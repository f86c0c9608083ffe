"""What the masking tests share (STAFF-02): every reading a curious staff member could make of an
answer — its text, its headers, the cells of an exported file, and whatever a cursor decodes to
however it is decoded — so that a test can look for a masked value in all of them."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import typing
import zlib

from openpyxl import load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _b64_variants(text: str) -> list[bytes]:
    found = []
    for alphabet in (base64.urlsafe_b64decode, base64.b64decode):
        for pad in ("", "=", "==", "==="):
            try:
                found.append(alphabet(text + pad))
            except (binascii.Error, ValueError):
                continue
    return found


def cursor_readings(cursor: str) -> str:
    """The cursor and everything it decodes to: base64 (either alphabet, any padding), nested
    base64, zlib, JSON with its strings, as UTF-8 and Latin-1 text, lower-cased."""
    texts, queue, seen = [cursor], [cursor.encode()], set()
    while queue:
        blob = queue.pop()
        if blob in seen or len(seen) > 200:
            continue
        seen.add(blob)
        for decoded in [blob, *_b64_variants(blob.decode("latin-1"))]:
            for text in (decoded.decode("utf-8", "ignore"), decoded.decode("latin-1")):
                texts.append(text)
                try:
                    texts.append(json.dumps(json.loads(text), ensure_ascii=False))
                except (ValueError, TypeError):
                    pass
            try:
                queue.append(zlib.decompress(decoded))
            except zlib.error:
                pass
            if decoded is not blob:
                queue.append(decoded)
    return "\n".join(texts).lower()


def file_cells(content: bytes) -> list:
    """Every cell of every sheet of an .xlsx file (formulas as written, not computed)."""
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def answer_readings(response) -> str:
    """What an answer shows: its headers, its text, the cells of an Excel file, and every cursor in
    it decoded, lower-cased."""
    parts = [f"{name}: {value}" for name, value in response.headers.items()]
    if response.headers.get("content-type", "").startswith(XLSX):
        parts += [str(cell.value) for cell in file_cells(response.content) if cell.value is not None]
    else:
        parts.append(response.text)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("next_cursor"), str):
            parts.append(cursor_readings(body["next_cursor"]))
    return "\n".join(parts).lower()


def phone_forms(phone: str) -> list[str]:
    """A +7 phone as it could be spelled: its ten digits, and the spaced, bracketed and dashed
    groupings of them."""
    digits = phone[-10:]
    return [digits, f"{digits[:3]} {digits[3:6]}", f"{digits[:3]}) {digits[3:6]}", f"{digits[:3]}-{digits[3:6]}",
            f"{digits[3:6]}-{digits[6:8]}-{digits[8:]}"]


def _plain_path(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def read_routes(app, prefix: str = "/crm/v1", skip: tuple[str, ...] = ()) -> list[tuple[str, object]]:
    """(plain path, handler) of every GET route under `prefix`, but those starting with `skip`."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            path = _plain_path(route.path)
            if "GET" in handler.http_methods and path.startswith(prefix) and not path.startswith(skip):
                found.append((path, handler))
    return found


def sorts_of(handler) -> list[str | None]:
    """Every value the route's `sort` query parameter accepts ([None] without one)."""
    parameter = handler.parsed_fn_signature.parameters.get("sort")
    if parameter is None:
        return [None]
    annotation = parameter.annotation
    options = [annotation] if typing.get_origin(annotation) is typing.Literal else typing.get_args(annotation)
    values = [v for option in options if typing.get_origin(option) is typing.Literal for v in typing.get_args(option)]
    assert values, f"cannot tell the sorts of {handler}"
    return values


def pages_with_cursor(handler) -> bool:
    return "cursor" in handler.parsed_fn_signature.parameters


def old_style_cursor(values: list) -> str:
    """A cursor as the server used to make them (base64 of the JSON sort key): what a forger writes."""
    return base64.urlsafe_b64encode(json.dumps(values, ensure_ascii=False).encode()).decode().rstrip("=")


def altered(cursor: str) -> str:
    """The cursor with one character in its middle changed."""
    middle = len(cursor) // 2
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1:]
