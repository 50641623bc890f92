"""The edits a person can make, each built as one undoable command of deltas: set values of
one asset, set a field on many, the field calculator, add a point asset, move a point, and
delete-or-retire. Values are validated against the model before anything changes; an error
names the field and the allowed values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from citymgr_desktop.core.clock import new_uuid, now_iso
from citymgr_desktop.core.editing.view import referenced_assets
from citymgr_desktop.core.errors import (
    ExpressionError,
    GeometryError,
    NotFoundError,
    ValidationError,
)
from citymgr_desktop.core.expression import Expression, Fields
from citymgr_desktop.core.expression.typecheck import parse_date
from citymgr_desktop.core.messages import Message, Term, joined, msg
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet, values_equal
from citymgr_desktop.core.model.values import normalise
from citymgr_desktop.core.store import asset_table
from citymgr_desktop.core.store.write import check_geometry

if TYPE_CHECKING:  # pandas loads with the field calculator, not for every command
    import pandas as pd

    from citymgr_desktop.core.store import Store


class EditTarget(Protocol):
    """What an edit needs of the session it edits (an ``EditTarget``): the file, the
    pending edits and reads through them, and the one way to add edits."""

    store: Store
    lang: str
    pending: DeltaSet
    generation: int

    def apply_edit(self, deltas: DeltaSet, label: Message, encoded: str | None = None
                   ) -> None: ...
    def pending_for(self, layer: str) -> list[Delta]: ...
    def is_new(self, layer: str, uuid: str) -> bool: ...
    def row(self, layer: str, uuid: str, fields: Iterable[str] | None = None
            ) -> dict[str, Any]: ...
    def rows(self, layer: str, uuids: Iterable[str], fields: Iterable[str] | None = None
             ) -> dict[str, dict[str, Any]]: ...
    def frame(self, layer: str, uuids: Iterable[str], fields: Iterable[str]) -> pd.DataFrame: ...
    def referenced(self, layer: str, uuids: Iterable[str]) -> set[str]: ...


class EditCommand:
    """One undo step: ``do`` adds its deltas to the session's pending edits, ``undo`` their
    inverse. ``label`` is a Message (the Edit menu shows it in the user's language)."""

    def __init__(self, session: EditTarget, label: Message, deltas: DeltaSet) -> None:
        self.session = session
        self.label = label
        self.deltas = deltas
        self.generation = -1  # the session's save count when last done or undone
        self._encoded: tuple[str, str] | None = None
        self._inverse: DeltaSet | None = None

    def prepare(self) -> EditCommand:
        """Make the inverse and both journal lines now (a worker thread does this for a
        big edit, so doing and undoing it on the UI thread is quick)."""
        from citymgr_desktop.core.editing.journal import encode_deltas

        self._inverse = ~self.deltas
        self._encoded = (encode_deltas(self.deltas), encode_deltas(self._inverse))
        return self

    def do(self) -> None:
        self.session.apply_edit(self.deltas, self.label,
                                self._encoded[0] if self._encoded else None)
        self.generation = self.session.generation

    def undo(self) -> None:
        inverse = self._inverse if self._inverse is not None else ~self.deltas
        self.session.apply_edit(inverse, msg("Undo: {label}", label=self.label),
                                self._encoded[1] if self._encoded else None)
        self.generation = self.session.generation

    def tables(self) -> set[str]:
        return self.deltas.tables()


# -- fields and values ----------------------------------------------------------------------------
def editable_field(table: sc.Table, name: str) -> sc.Field:
    """The field ``name`` (or its Chinese/English label) if a person may edit it."""
    info = Fields.for_table(table, include_fid=False)
    try:
        real = info.resolve(name).name
    except ExpressionError:
        raise ValidationError(
            "{table} has no field {name!r}; editable fields: {fields}",
            table=table.name, name=name,
            fields=', '.join(f.name for f in table.fields if not f.system)) from None
    f = table.field(real)
    if f.system:
        raise ValidationError("{table}.{field} ({label}) is maintained by the app and cannot be "
                              "edited", table=table.name, field=f.name, label=f.zh)
    return f


def to_value(table: sc.Table, f: sc.Field, value: Any, lang: str = "en") -> Any:
    """``value`` checked and converted for ``f``; a coded value may be given by its label."""
    domain = f.get_domain()
    if isinstance(domain, dm.CodedDomain) and isinstance(value, str) and value.strip():
        text = value.strip()
        for code in domain.codes:
            if text in (code.zh, code.en) or text.casefold() == code.en.casefold():
                value = code.value
                break
    if f.type in (sc.FieldType.DATE, sc.FieldType.DATETIME) and isinstance(value, str):
        parsed = parse_date(value)  # 2024/5/1, 2024年5月1日 as well as ISO
        if parsed is not None:
            value = parsed[0]
    out = normalise(table, f.name, value, lang)
    if f.name == "obj_code" and out is not None:
        objcode.validate(out, table)
    return out


def _values(session: EditTarget, table: sc.Table, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        f = editable_field(table, name)
        out[f.name] = to_value(table, f, value, session.lang)
    return out


def _asset_name(row: dict[str, Any] | None, uuid: str) -> str:
    row = row or {}
    return str(row.get("name") or row.get("obj_code") or uuid[:8])


def _check_obj_code_free(session: EditTarget, table: sc.Table, uuid: str, code: str) -> None:
    hit = session.store.conn.execute(
        f'SELECT asset_uuid FROM "{table.name}" WHERE obj_code = ?', (code,)).fetchone()
    taken = hit is not None and hit[0] != uuid and session.pending.get(table.name, hit[0]) \
        is None
    for d in session.pending_for(table.name):
        if d.uuid != uuid and d.new and d.new.get("obj_code") == code:
            taken = True
    if taken:
        raise ValidationError("{table}.obj_code ({label}): {code} is already used by another "
                              "asset",
                              table=table.name, label=table.field('obj_code').zh, code=code)


# -- commands ---------------------------------------------------------------------------------------
def set_values(session: EditTarget, layer: str, uuid: str,
               values: dict[str, Any]) -> EditCommand | None:
    """Change fields of one asset; None when nothing would change."""
    table = asset_table(layer)
    new = _values(session, table, values)
    current = session.row(layer, uuid, [*new, "name", "obj_code"])
    changed = {k: v for k, v in new.items() if not values_equal(current.get(k), v)}
    if not changed:
        return None
    if changed.get("obj_code"):
        _check_obj_code_free(session, table, uuid, changed["obj_code"])
    delta = Delta(layer, uuid, {k: current.get(k) for k in changed}, changed)
    name = _asset_name(current, uuid)
    if len(changed) == 1:
        f = table.field(next(iter(changed)))
        label = msg("Edit {field} of {name}", field=f.term, name=name)
    else:
        label = msg("Edit {count} fields of {name}", count=len(changed), name=name)
    return EditCommand(session, label, DeltaSet([delta]))


def bulk_set(session: EditTarget, layer: str, uuids: list[str],
             values: dict[str, Any]) -> EditCommand | None:
    """Set the same values on many assets as one step; None when none would change."""
    table = asset_table(layer)
    new = _values(session, table, values)
    if "obj_code" in new and len(uuids) > 1:
        raise ValidationError("obj_code is unique per asset; it cannot be set on several assets")
    rows = session.rows(layer, uuids, list(new))
    missing = [u for u in uuids if u not in rows]
    if missing:
        raise NotFoundError("{layer} has no asset(s) {uuids}",
                            layer=layer, uuids=', '.join(missing[:5]))
    deltas = DeltaSet()
    for u in uuids:
        cur = rows[u]
        changed = {k: v for k, v in new.items() if not values_equal(cur.get(k), v)}
        if changed:
            deltas.add(Delta(layer, u, {k: cur.get(k) for k in changed}, changed))
    if not deltas:
        return None
    fields = joined((Term(table.field(k).en, table.field(k).zh) for k in new), ", ", "、")
    return EditCommand(session, msg("Set {fields} of {count:,} {assets}", fields=fields,
                                    count=len(deltas), assets=_plural(table)), deltas)


def calculate(session: EditTarget, layer: str, uuids: list[str], field_name: str,
              expression: str) -> EditCommand | None:
    """Field calculator: ``field = expression`` for each asset, validated before anything
    changes (a single invalid result refuses the whole step)."""
    table = asset_table(layer)
    f = editable_field(table, field_name)
    if f.name == "obj_code":
        raise ValidationError("obj_code is unique per asset; the calculator cannot set it")
    expr = Expression.compile(expression, Fields.for_table(table), want=None)
    kinds = {sc.FieldType.INTEGER: ("number",), sc.FieldType.REAL: ("number",),
             sc.FieldType.TEXT: ("text", "number", "date", "datetime"),
             sc.FieldType.DATE: ("date", "datetime", "text"),
             sc.FieldType.DATETIME: ("datetime", "date", "text")}
    if expr.type not in (*kinds.get(f.type, ()), "null"):
        raise ValidationError("{table}.{field} ({label}) holds {field_type} values; the "
                              "expression gives {expr_type} values",
                              table=table.name, field=f.name, label=f.zh,
                              field_type=f.type.value.lower(), expr_type=expr.type)
    import pandas as pd

    frame = session.frame(layer, uuids, sorted(expr.used_fields | {f.name}))
    results = expr.evaluate(frame)
    cache: dict[Any, Any] = {}
    bad: list[ValidationError] = []
    deltas = DeltaSet()
    for u, raw, old in zip(frame.index, results.tolist(), frame[f.name].tolist(), strict=True):
        value = None if raw is None or raw is pd.NA or raw != raw else raw  # NA -> empty
        if isinstance(value, float) and f.type is sc.FieldType.TEXT and value.is_integer():
            value = int(value)
        key = (type(value), value)
        if key not in cache:
            try:
                cache[key] = to_value(table, f, value, session.lang)
            except ValidationError as exc:
                cache[key] = exc
        out = cache[key]
        if isinstance(out, ValidationError):
            bad.append(out)
            continue
        if not values_equal(old, out):
            deltas.add(Delta(layer, u, {f.name: old}, {f.name: out}))
    if bad:
        raise ValidationError("{bad_count:,} of {total:,} results are not allowed; first: "
                              "{first}", bad_count=len(bad), total=len(frame), first=bad[0])
    if not deltas:
        return None
    return EditCommand(session, msg("Calculate {field} of {count:,} {assets}",
                                    field=f.term, count=len(deltas),
                                    assets=_plural(table)), deltas)


def next_obj_code(session: EditTarget, table: sc.Table) -> str:
    """The next free component code, counting unsaved new assets too."""
    district = session.store.district_code
    serial = objcode.next_serial(session.store.conn, table, district)
    prefix = f"{district}{table.major_code}{table.minor_code}"
    for d in session.pending_for(table.name):
        code = (d.new or {}).get("obj_code") if d.kind == "insert" else None
        if isinstance(code, str) and code.startswith(prefix):
            serial = max(serial, int(code[10:]) + 1)
    return objcode.make(district, table, serial)


def add_asset(session: EditTarget, layer: str, geometry: Any,
              values: dict[str, Any]) -> EditCommand:
    """A new asset with a new ``asset_uuid`` and the next ``obj_code``."""
    table = asset_table(layer)
    geom = check_geometry(table, geometry)
    if geom is None:
        raise GeometryError("a new {table} needs a geometry", table=table.name)
    new = _values(session, table, values)
    uuid = new_uuid()
    if new.get("obj_code"):
        _check_obj_code_free(session, table, uuid, new["obj_code"])
    else:
        new["obj_code"] = next_obj_code(session, table)
    row = {sc.GEOMETRY_COLUMN: geom, table.key: uuid, **new}
    return EditCommand(session, msg("Add {asset} {name}", asset=_singular(table),
                                    name=_asset_name(row, uuid)),
                       DeltaSet([Delta(layer, uuid, None, row)]))


def move_point(session: EditTarget, layer: str, uuid: str, point: Any) -> EditCommand | None:
    table = asset_table(layer)
    if table.geometry_type != "POINT":
        raise GeometryError("{table} holds {geometry_type} geometries; only point assets can be "
                            "moved", table=table.name, geometry_type=table.geometry_type)
    geom = check_geometry(table, point)
    current = session.row(layer, uuid, [sc.GEOMETRY_COLUMN, "name", "obj_code"])
    if values_equal(current.get(sc.GEOMETRY_COLUMN), geom):
        return None
    name = _asset_name(current, uuid)
    delta = Delta(layer, uuid, {sc.GEOMETRY_COLUMN: current.get(sc.GEOMETRY_COLUMN)},
                  {sc.GEOMETRY_COLUMN: geom})
    return EditCommand(session, msg("Move {name}", name=name), DeltaSet([delta]))


def delete_or_retire(session: EditTarget, layer: str, uuids: list[str]) -> EditCommand | None:
    """Delete assets; one with maintenance history or work orders is retired instead
    (``retired_at`` set) so no record ever points at nothing."""
    table = asset_table(layer)
    rows = session.rows(layer, uuids)
    missing = [u for u in uuids if u not in rows]
    if missing:
        raise NotFoundError("{layer} has no asset(s) {uuids}",
                            layer=layer, uuids=', '.join(missing[:5]))
    in_file = [u for u in uuids if not session.is_new(layer, u)]
    keep = session.referenced(layer, in_file)
    stamp = now_iso()
    deltas = DeltaSet()
    deleted = retired = 0
    for u in uuids:
        if u in keep:
            if rows[u].get("retired_at") is None:
                deltas.add(Delta(layer, u, {"retired_at": None}, {"retired_at": stamp}))
                retired += 1
        else:
            deltas.add(Delta(layer, u, rows[u], None))
            deleted += 1
    if not deltas:
        return None
    assets = _plural(table)
    if len(uuids) == 1:
        name = _asset_name(rows[uuids[0]], uuids[0])
        label = msg("Retire {name}", name=name) if retired else msg("Delete {name}", name=name)
    elif deleted and retired:
        label = msg("Delete {deleted:,} and retire {retired:,} {assets}", deleted=deleted,
                    retired=retired, assets=assets)
    elif retired:
        label = msg("Retire {count:,} {assets}", count=retired, assets=assets)
    else:
        label = msg("Delete {count:,} {assets}", count=deleted, assets=assets)
    return EditCommand(session, label, deltas)


def _plural(table: sc.Table) -> Term:
    """The class as a counted noun: "litter bins" / "垃圾箱"."""
    return Term(table.en.lower(), table.zh)


def _singular(table: sc.Table) -> Term:
    return Term(table.en.lower().rstrip("s"), table.zh)


def retire_referenced(store: Store, deltas: list[Delta], stamp: str) -> tuple[list[Delta], int]:
    """At save time: deletes of assets that gained history meanwhile become retirements."""
    deletes = [d for d in deltas if d.kind == "delete" and d.table in sc.ASSET_TABLES_BY_NAME]
    if not deletes:
        return deltas, 0
    keep = referenced_assets(store, [d.uuid for d in deletes])
    if not keep:
        return deltas, 0
    out = [Delta(d.table, d.uuid, {"retired_at": None}, {"retired_at": stamp})
           if d.kind == "delete" and d.uuid in keep else d for d in deltas]
    return out, len(keep)
