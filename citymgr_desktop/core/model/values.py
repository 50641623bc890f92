"""Validate and normalise attribute values against the model (types, domains, lengths).

Every error names the table, the field and the allowed values, so a person can fix it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from citymgr_desktop.core.clock import format_iso
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import Term
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        f = float(text)
    except ValueError:
        raise ValueError from None
    if not f.is_integer():
        raise ValueError
    return int(f)


def _to_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return dt.date.fromisoformat(text[:10]).isoformat()


def _to_datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        d = value
    elif isinstance(value, dt.date):
        d = dt.datetime(value.year, value.month, value.day)
    else:
        d = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return format_iso(d)


def normalise(table: sc.Table, field_name: str, value: Any, lang: str = "en") -> Any:
    """Return ``value`` converted to the field's storage type, or raise ValidationError."""
    try:
        f = table.field(field_name)
    except KeyError:
        raise ValidationError("{table} has no field {field_name!r}",
                              table=table.name, field_name=field_name) from None
    if _is_blank(value):
        if f.required:
            raise ValidationError("{table}.{field} ({label}) must not be empty",
                                  table=table.name, field=f.name, label=f.term)
        return None
    try:
        if f.type is sc.FieldType.INTEGER:
            out: Any = _to_int(value)
        elif f.type is sc.FieldType.REAL:
            out = float(value)
            if math.isinf(out) or math.isnan(out):
                raise ValueError
        elif f.type is sc.FieldType.DATE:
            out = _to_date(value)
        elif f.type is sc.FieldType.DATETIME:
            out = _to_datetime(value)
        elif f.type is sc.FieldType.BOOLEAN:
            out = _to_bool(value)
        elif f.type is sc.FieldType.BLOB:
            out = bytes(value)
        else:
            out = str(value)
    except (ValueError, TypeError):
        raise ValidationError(
            "{table}.{field} ({label}): {value!r} is not a valid {kind}",
            table=table.name, field=f.name, label=f.term, value=value,
            kind=_type_words(f.type)) from None
    if f.max_length and isinstance(out, str) and len(out) > f.max_length:
        raise ValidationError(
            "{table}.{field} ({label}) allows at most {max_length} characters, got {length}",
            table=table.name, field=f.name, label=f.term, max_length=f.max_length,
            length=len(out))
    domain = f.get_domain()
    if domain is not None and not domain.contains(out):
        raise ValidationError(
            "{table}.{field} ({label}): {value!r} is not allowed; allowed: {allowed}",
            table=table.name, field=f.name, label=f.term, value=value,
            allowed=Term(domain.describe("en"), domain.describe("zh")))
    return out


def _to_bool(value: Any) -> int:
    if isinstance(value, (bool, int)):
        return int(bool(value))
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "是"):
        return 1
    if text in ("0", "false", "no", "n", "否"):
        return 0
    raise ValueError


def _type_words(t: sc.FieldType) -> Term:
    return {
        sc.FieldType.INTEGER: Term("whole number", "整数"),
        sc.FieldType.REAL: Term("number", "数字"),
        sc.FieldType.DATE: Term("date (YYYY-MM-DD)", "日期（YYYY-MM-DD）"),
        sc.FieldType.DATETIME: Term("date and time (YYYY-MM-DDTHH:MM:SS)",
                                    "日期时间（YYYY-MM-DDTHH:MM:SS）"),
        sc.FieldType.BOOLEAN: Term("yes/no value", "“是/否”值"),
    }.get(t, Term("value", "值"))


def normalise_row(table: sc.Table, values: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """Normalise every value of a row (only the keys given)."""
    return {k: normalise(table, k, v, lang) for k, v in values.items()}


def domain_of(table: sc.Table, field_name: str) -> dm.Domain | None:
    return table.field(field_name).get_domain()
