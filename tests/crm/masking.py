"""What the masking tests share (STAFF-02): every reading a curious staff member could make of an
answer — its text, its headers, the cells of an exported file, and whatever a cursor decodes to
however it is decoded — so that a test can look for a masked value in all of them."""

from __future__ import annotations

import base64
import binascii
import io
import json
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
