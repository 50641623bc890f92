"""Every command that writes, on a disk with no room left: exit 3 and one line saying the disk
is full (or that the file written is incomplete), the project byte-identical, an earlier
output file kept, no temporary file left, and the same command succeeding once there is room
again. Real processes on a small tmpfs (root on Linux), else with a file-size limit
(``RLIMIT_FSIZE``: writes past it fail with EFBIG)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys

import pytest

from citymgr_desktop.core import gpkg
from tests.faults.support import assert_one_line_error, digest, leftovers, quick_check

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tmpfs / RLIMIT_FSIZE"),
]

IN_PLACE = {  # SQLite writes into the project
    "edit": ["edit", "{f}", "--layer", "road_segment", "--where", "true", "--set",
             "remarks=" + "复查记录" * 100],
    "history add": ["history", "add", "{f}", "--asset", "{asset}", "--type", "inspection",
                    "--date", "2026-11-20", "--attach", "{photo}"],
    "workorders create": ["workorders", "create", "{f}", "--layer", "road_segment", "--where",
                          "true", "--priority", "3", "--title", "全面巡查",
                          "--description", "道路巡查" * 200],
    "workorders move": ["workorders", "move", "{f}", "{case}", "--to", "in_progress",
                        "--user", "张三", "--note", "开始处置" * 200],
    "import": ["import", "{f}", "{package}", "--as", "litter_bin", "--layer", "litter_bin",
               "--id-field", "asset_uuid", "--id-prefix", "field:"],
    "sync": ["sync", "{f}", "{package}", "--no-backup"],
    "sync-undo": ["sync-undo", "{f}", "{run}", "--no-backup"],  # after a sync (below)
}
NEW_FILES = {  # a new file beside the project (an old one of that name must be kept)
    # name -> (arguments, the output file)
    "new": (["new", "{d}/new.gpkg"], "new.gpkg"),
    "sample": (["sample", "--out", "{d}/sample.gpkg", "--features", "300", "--overwrite"], "sample.gpkg"),
    "field-package": (["field-package", "{f}", "--out", "{d}/pkg.gpkg", "--overwrite"],
                      "pkg.gpkg"),
    "sync with backup": (["sync", "{f}", "{package}"], None),
    "export pdf": (["workorders", "export", "{f}", "--format", "pdf", "--out",
                    "{d}/orders.pdf", "--overwrite"], "orders.pdf"),
    "export xlsx": (["workorders", "export", "{f}", "--format", "xlsx", "--out",
                     "{d}/orders.xlsx", "--overwrite"], "orders.xlsx"),
    "export csv": (["workorders", "export", "{f}", "--format", "csv", "--out",
                    "{d}/orders.csv", "--overwrite"], "orders.csv"),
    "export geojson": (["workorders", "export", "{f}", "--format", "geojson", "--out",
                        "{d}/orders.geojson", "--overwrite"], "orders.geojson"),
    "export gpkg": (["workorders", "export", "{f}", "--format", "gpkg", "--out",
                     "{d}/orders.gpkg", "--overwrite"], "orders.gpkg"),
    "export layer geojson": (["export", "{f}", "--layer", "road_segment", "--out",
                              "{d}/roads.geojson", "--overwrite"], "roads.geojson"),
    "export layer gpkg": (["export", "{f}", "--layer", "road_segment", "--out",
                           "{d}/roads.gpkg", "--overwrite"], "roads.gpkg"),
    "export layer csv": (["export", "{f}", "--layer", "road_segment", "--out",
                          "{d}/roads.csv", "--overwrite"], "roads.csv"),
    "export layer xlsx": (["export", "{f}", "--layer", "road_segment", "--out",
                           "{d}/roads.xlsx", "--overwrite"], "roads.xlsx"),
    "print-map pdf": (["print-map", "{f}", "--out", "{d}/map.pdf", "--paper", "A1", "--overwrite"],
                      "map.pdf"),
    "print-map png": (["print-map", "{f}", "--out", "{d}/map.png", "--paper", "A3",
                       "--dpi", "120", "--overwrite"], "map.png"),
    "atlas": (["print-map", "{f}", "--out", "{d}/atlas.pdf", "--atlas", "district",
               "--paper", "A4", "--overwrite"], "atlas.pdf"),
    "render": (["render", "{f}", "--out", "{d}/render.png", "--size", "2400x1800", "--overwrite"],
               "render.png"),
    "stats xlsx": (["stats", "{f}", "--by", "district,bgid", "--xlsx", "{d}/stats.xlsx",
                    "--overwrite"], "stats.xlsx"),
    "report": (["report", "{f}", "--month", "2026-10", "--out", "{d}/report.pdf",
                "--overwrite"], "report.pdf"),
}
ROOM = 48 * 1024  # a file is cut off after its first pages
SMALL_OUTPUTS = {"export csv", "export xlsx", "export geojson", "export gpkg", "stats xlsx",
                 "export layer csv", "export layer xlsx"}  # fit in ROOM


def _prepare(disk, project):
    disk.free()
    disk.clear()
    for item in project.folder.iterdir():
        if item.is_dir():
            shutil.copytree(item, disk.folder / item.name)
        else:
            shutil.copyfile(item, disk.folder / item.name)
    conn = gpkg.connect(str(disk.folder / project.package.name))  # a sync that grows the file
    with conn:
        conn.execute("UPDATE litter_bin SET remarks = ?", ("现场复核" * 120,))
    conn.close()  # an open handle would keep a deleted file's pages: the disk not really full
    photo = disk.folder / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + os.urandom(400_000))
    names = {"f": disk.folder / project.master.name, "d": disk.folder,
             "package": disk.folder / project.package.name, "asset": project.asset,
             "case": project.case, "photo": photo}
    return names


def _argv(template, names):
    return [part.format(**names) for part in template]


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_a_full_disk_inside_a_write_changes_nothing(name, disk, project):
    if name == "workorders move" and not disk.mounted:
        pytest.skip("a move fits in the file's free pages; needs a real full disk (tmpfs)")
    names = _prepare(disk, project)
    master = names["f"]
    if name == "sync-undo":  # a sync to undo, made while there is room
        assert disk.run(_argv(IN_PLACE["sync"], names)).rc in (0, 9)
        conn = sqlite3.connect(master)
        names["run"] = conn.execute("SELECT sync_uuid FROM sync_run").fetchone()[0]
        conn.close()
    before = digest(master)
    disk.fill(0)
    result = disk.run(_argv(IN_PLACE[name], names), grows=master)
    message = assert_one_line_error(result, {3})
    assert "disk is full" in message, message
    assert str(master) in message
    assert digest(master) == before, "the project changed"
    disk.free()
    assert quick_check(master) == "ok"
    again = disk.run(_argv(IN_PLACE[name], names))
    assert again.rc in (0, 9), again.err
    assert not leftovers(disk.folder), leftovers(disk.folder)


@pytest.mark.parametrize("name", sorted(NEW_FILES))
def test_a_full_disk_while_writing_a_file_keeps_the_old_one(name, disk, project):
    if name in ("render", "print-map pdf", "print-map png", "atlas", "export pdf", "report"):
        pytest.importorskip("PySide6.QtGui")
    names = _prepare(disk, project)
    template, output = NEW_FILES[name]
    master = names["f"]
    before = digest(master)
    old = disk.folder / output if output else None
    if old is not None and name not in ("new",):
        old.write_bytes(b"the earlier export")
    disk.fill(0 if name in SMALL_OUTPUTS else ROOM)
    result = disk.run(_argv(template, names))
    message = assert_one_line_error(result, {3})
    assert "disk is full" in message or "incomplete" in message, message
    assert digest(master) == before, "the project changed"
    if old is not None and name != "new":
        assert old.read_bytes() == b"the earlier export"
    assert not leftovers(disk.folder), leftovers(disk.folder)


@pytest.mark.parametrize("name", ["print-map pdf", "export pdf"])
def test_a_full_disk_while_writing_a_new_file_says_nothing_was_written_in_chinese(
        name, disk, project):
    """No earlier file: the message does not say one was kept (trial 6), and a check's English
    words ("no %%EOF at its end") stay out of the Chinese sentence."""
    pytest.importorskip("PySide6.QtGui")
    names = _prepare(disk, project)
    template, output = NEW_FILES[name]
    disk.fill(ROOM)
    result = disk.run(["--lang", "zh_CN", *_argv(template, names)])
    message = assert_one_line_error(result, {3})
    assert "磁盘" in message and "未写入任何文件" in message, message
    assert "原有文件" not in message and "原文件" not in message, message
    assert "EOF" not in message and "(" not in message, message
    assert not (disk.folder / output).exists()
    assert not leftovers(disk.folder), leftovers(disk.folder)
