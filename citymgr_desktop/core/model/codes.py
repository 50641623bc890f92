"""GB/T 30428-style 16-digit component codes (部件编码): district(6) + major(2) + minor(2) +
serial(6), e.g. ``4201060213000001``.
"""

from __future__ import annotations

import re
import sqlite3

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import schema as sc

_PATTERN = re.compile(r"\d{16}")
MAX_SERIAL = 999_999


def make(district_code: str, table: sc.Table, serial: int) -> str:
    """The code for ``serial`` of ``table``'s class in ``district_code``."""
    if not (1 <= serial <= MAX_SERIAL):
        raise ValidationError("obj_code serial {serial} is outside 1-{max_serial}",
                              serial=serial, max_serial=MAX_SERIAL)
    return f"{district_code}{table.major_code}{table.minor_code}{serial:06d}"


def parse(code: str) -> tuple[str, str, str, int]:
    """Split a code into (district, major, minor, serial); raises ValidationError if malformed."""
    if not isinstance(code, str) or not _PATTERN.fullmatch(code):
        raise ValidationError(
            "obj_code must be 16 digits (district 6 + class 2 + subclass 2 + serial 6), got "
            "{code!r}", code=code)
    return code[:6], code[6:8], code[8:10], int(code[10:])


def validate(code: str, table: sc.Table) -> str:
    """Check that ``code`` is well formed and belongs to ``table``'s class."""
    _, major, minor, serial = parse(code)
    if (major, minor) != (table.major_code, table.minor_code):
        raise ValidationError(
            "obj_code {code} has class {major}{minor}, but {table} uses {major_code}{minor_code}",
            code=code, major=major, minor=minor, table=table.name, major_code=table.major_code,
            minor_code=table.minor_code)
    if serial == 0:
        raise ValidationError("obj_code {code} has serial 000000; serials start at 000001",
                              code=code)
    return code


def is_valid(code: str, table: sc.Table) -> bool:
    """True when :func:`validate` would accept ``code`` (without building its error)."""
    # len + isdecimal is _PATTERN.fullmatch (\d: a Unicode decimal digit), at a third
    # of the cost: the store checks every new asset's code
    return isinstance(code, str) and len(code) == 16 and code.isdecimal() \
        and code[6:8] == table.major_code and code[8:10] == table.minor_code \
        and int(code[10:]) != 0


def next_serial(conn: sqlite3.Connection, table: sc.Table, district_code: str) -> int:
    """The first free serial after the highest one used in ``district_code`` for this class."""
    prefix = f"{district_code}{table.major_code}{table.minor_code}"
    row = conn.execute(
        f'SELECT max(CAST(substr(obj_code, 11, 6) AS INTEGER)) FROM "{table.name}" '
        "WHERE obj_code >= ? AND obj_code < ?",
        (prefix + "000000", prefix + "999999~"),
    ).fetchone()
    return int(row[0] or 0) + 1
