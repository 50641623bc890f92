"""The model as data: schema, domains, component codes, validation, deltas, command stack."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.errors import ConflictError, StaleStepError, ValidationError
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.model.values import normalise


def test_every_asset_class_has_the_shared_fields():
    for t in sc.ASSET_TABLES:
        names = t.field_names()
        for f in ("asset_uuid", "obj_code", "name", "district", "bgid", "owner_dept",
                  "maintainer_dept", "condition", "updated_at", "updated_by", "retired_at",
                  "source_id"):
            assert f in names, (t.name, f)
        assert t.field("condition").domain == "condition_grade"
        assert len({t.major_code + t.minor_code for t in sc.ASSET_TABLES}) == 4
        for f in t.fields:
            assert f.en and f.zh, f.name
            if f.domain:
                assert f.domain in dm.ALL_DOMAINS


def test_condition_scale_and_labels():
    assert dm.CONDITION.values() == [1, 2, 3, 4, 5]
    assert dm.CONDITION.label(5, "zh") == "危险" and dm.CONDITION.label(1, "en") == "Good"
    assert dm.BIN_TYPE.label("kitchen") == "厨余垃圾"


@pytest.mark.parametrize(("pci", "cls", "grade"), [
    (95, "arterial", "excellent"), (89, "arterial", "good"), (89, "branch", "excellent"),
    (66, "arterial", "fair"), (64, "arterial", "poor"), (60, "branch", "fair"),
    (None, "branch", None),
])
def test_pci_grade(pci, cls, grade):
    assert dm.pci_grade(pci, cls) == grade


def test_obj_code_make_parse_validate():
    code = objcode.make("420106", sc.LITTER_BIN, 42)
    assert code == "4201060304000042"
    assert objcode.parse(code) == ("420106", "03", "04", 42)
    assert objcode.validate(code, sc.LITTER_BIN) == code
    with pytest.raises(ValidationError, match="class 0304"):
        objcode.validate(code, sc.BRIDGE)
    for bad in ("12345", "42010603040000AB", "", None, "4201060304000000"):
        with pytest.raises(ValidationError):
            objcode.validate(bad, sc.LITTER_BIN)
    with pytest.raises(ValidationError):
        objcode.make("420106", sc.LITTER_BIN, 1_000_000)


@given(st.integers(1, 999_999), st.from_regex(r"\d{6}", fullmatch=True))
def test_obj_code_roundtrip(serial, district):
    for t in sc.ASSET_TABLES:
        assert objcode.parse(objcode.make(district, t, serial)) == (
            district, t.major_code, t.minor_code, serial)


def test_normalise_types_and_domains():
    t = sc.LITTER_BIN
    assert normalise(t, "condition", "3") == 3
    assert normalise(t, "condition", 3.0) == 3
    assert normalise(t, "condition", "") is None
    assert normalise(t, "capacity_l", "240") == 240
    assert normalise(t, "install_date", "2024-05-06T10:00:00") == "2024-05-06"
    assert normalise(t, "updated_at", "2026-01-02T03:04:05+08:00") == "2026-01-01T19:04:05.000Z"
    with pytest.raises(ValidationError, match=r"condition \(Condition\).*allowed"):
        normalise(t, "condition", 6)
    with pytest.raises(ValidationError, match="not a valid whole number"):
        normalise(t, "condition", "2.5")
    with pytest.raises(ValidationError, match=r"capacity_l.*\[5, 1100\] L"):
        normalise(t, "capacity_l", 5000)
    with pytest.raises(ValidationError, match="must not be empty"):
        normalise(t, "asset_uuid", " ")
    with pytest.raises(ValidationError, match="no field"):
        normalise(t, "colour", "red")
    with pytest.raises(ValidationError, match="date"):
        normalise(t, "install_date", "yesterday")


def test_delta_algebra():
    a = Delta("litter_bin", "u1", {"condition": 1}, {"condition": 3})
    b = Delta("litter_bin", "u1", {"condition": 3, "name": "x"}, {"condition": 1, "name": "y"})
    s = a + b
    assert s.old == {"name": "x"} and s.new == {"name": "y"}
    assert (a + ~a) is None
    ins = Delta("litter_bin", "u2", None, {"name": "n", "geom": Point(1, 2)})
    assert (ins + Delta("litter_bin", "u2", {"name": "n"}, None)) is None
    up = ins + Delta("litter_bin", "u2", {"name": "n"}, {"name": "m"})
    assert up.kind == "insert" and up.new["name"] == "m"
    ds = DeltaSet([a, b, ins])
    assert len(ds) == 2
    back = DeltaSet.from_json(ds.to_json())
    assert [d.to_json() for d in back] == [d.to_json() for d in ds]
    assert back.get("litter_bin", "u2").new["geom"].equals(Point(1, 2))
    assert [d.kind for d in ~ds] == ["delete", "update"]


class _Append:
    def __init__(self, log, value):
        self.log, self.value, self.label = log, value, f"append {value}"

    def do(self):
        self.log.append(self.value)

    def undo(self):
        self.log.remove(self.value)


def test_command_stack():
    log, seen = [], []
    stack = CommandStack(limit=3)
    stack.subscribe(lambda: seen.append(len(stack)))
    for v in range(4):
        stack.push(_Append(log, v))
    assert log == [0, 1, 2, 3] and len(stack) == 3  # the limit drops the oldest
    assert stack.undo() == "append 3" and log == [0, 1, 2]
    assert stack.redo_label() == "append 3"
    stack.set_clean()
    assert stack.is_clean()
    stack.redo()
    assert not stack.is_clean()
    stack.undo()
    assert stack.is_clean()
    stack.undo()
    stack.push(_Append(log, 9))  # new branch: redo gone, saved state unreachable
    assert not stack.can_redo() and not stack.is_clean()
    assert seen


def test_failing_command_leaves_stack_unchanged():
    class Boom:
        label = "boom"

        def do(self):
            raise ValidationError("no")

        def undo(self):
            raise AssertionError

    stack = CommandStack()
    with pytest.raises(ValidationError):
        stack.push(Boom())
    assert len(stack) == 0 and not stack.can_undo()


def test_a_stale_step_is_dropped_and_any_other_failure_keeps_it():
    """As Qt's QUndoCommand.setObsolete: a step the file changed under (StaleStepError) is
    taken off the stack, undo or redo; a step that merely failed stays to be tried again."""
    class Step:
        def __init__(self, label, error=None):
            self.label, self.error = label, error

        def do(self):
            pass

        def undo(self):
            if self.error is not None:
                raise self.error

    stack = CommandStack()
    stack.push(Step("kept"))
    failing = Step("fails", ConflictError("later edits"))
    stack.push(failing)
    with pytest.raises(ConflictError):
        stack.undo()
    assert stack.undo_command() is failing and not stack.can_redo()
    failing.error = StaleStepError("the file changed")
    seen = []
    stack.subscribe(lambda: seen.append(stack.undo_label()))
    with pytest.raises(StaleStepError):
        stack.undo()
    assert stack.undo_label() == "kept" and not stack.can_redo() and seen == ["kept"]
    stale_redo = Step("redo")
    stack.push(stale_redo)
    stack.undo()
    stale_redo.do = lambda: (_ for _ in ()).throw(StaleStepError("gone"))
    with pytest.raises(StaleStepError):
        stack.redo()
    assert not stack.can_redo() and stack.undo_label() == "kept"


def test_schema_hash_is_stable():
    assert sc.schema_hash() == sc.schema_hash() and len(sc.schema_hash()) == 16
