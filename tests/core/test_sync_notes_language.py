"""The sync's notes about an asset name it as people do (垃圾箱 and its object code), in the
language asked for, not by its table name and uuid."""

from __future__ import annotations

from citymgr_desktop.core.messages import Message, render
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync.resolve import list_conflicts
from tests.core.sync_support import edit, row, sync, uuids


def test_note_about_a_record_not_applied_names_the_bin_and_its_code(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", "condition = 3", limit=1)[0]
    code = row(master, "litter_bin", u)["obj_code"]
    rec = "dddddddd-0000-4000-8000-000000000004"
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (u,))
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 1 WHERE asset_uuid = ?", (u,))
        c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                  "record_date, record_type, condition_before, condition_after) VALUES "
                  "(?, 'litter_bin', ?, '2026-12-07', 'repair', 3, 1)", (rec, u))
    rep = sync(master, pkg)
    assert [c.field for c in rep.conflicts] == ["condition"]
    notes = [n for n in rep.notes if isinstance(n, Message) and "record" in str(n)]
    assert len(notes) == 1, rep.notes
    zh = notes[0].render("zh_CN")
    assert zh.startswith(f"垃圾箱 {code}：记录 dddddddd 的处理后状况未应用"), zh
    assert str(notes[0]).startswith(f"Litter bins {code}: the condition after"), str(notes[0])


def test_a_refused_value_read_back_from_the_file_says_itself_in_chinese(pair):
    """The conflicts tab reads the conflicts from the file (``sync_conflict.message`` keeps the
    English sentence): the value check's message comes back whole, in the reader's language."""
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 9 WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert [c.kind for c in rep.conflicts] == ["invalid"]
    with Store.open(master) as store:
        (stored,) = list_conflicts(store)
    zh = render(stored.message, "zh_CN")
    assert "技术状况" in zh and "不允许 9" in zh and "Condition" not in zh, zh
    assert "完好" in zh and "is not allowed" not in zh, zh
