"""The first write through a store points a renamed copy's embedded QGIS project at the copy
(``upgrade.bring_up_to_date``); a project already found to read its file is remembered and not
unpacked again (``store/project_memo.py``). What was remembered must never hide a project that
needs repointing: a copy under another name, or another project stored under the same name."""

from __future__ import annotations

import shutil
import sqlite3

from citymgr_desktop.core.qgis import project as qgis_project
from citymgr_desktop.core.store import Store, project_memo


def _points_elsewhere(path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        return qgis_project.points_elsewhere(conn)
    finally:
        conn.close()


def _key(path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        return project_memo.project_key(conn)
    finally:
        conn.close()


def test_a_project_found_right_is_remembered_by_its_content_and_file_name(district):
    with Store.open(district) as store:
        store.set_meta("note", "first write")
    assert _points_elsewhere(district) is None
    assert project_memo.known_right(_key(district))
    project_memo._memory.clear()  # another process: read from the memo file
    assert project_memo.known_right(_key(district))


def test_a_copy_under_another_name_is_still_repointed(district, tmp_path):
    with Store.open(district) as store:  # the original's project is remembered as right
        store.set_meta("note", "first write")
    copy = tmp_path / "台账 copy.gpkg"
    shutil.copyfile(district, copy)
    assert _points_elsewhere(copy) == "district.gpkg"
    assert not project_memo.known_right(_key(copy))
    with Store.open(copy) as store:
        store.set_meta("note", "first write of the copy")
    assert _points_elsewhere(copy) is None
    project_memo._memory.clear()  # the project just written is known to the next process
    assert project_memo.known_right(_key(copy))


def test_another_project_under_the_same_name_is_checked_again(district):
    with Store.open(district) as store:
        store.set_meta("note", "first write")
    conn = sqlite3.connect(district)  # e.g. QGIS saved a project that reads another file
    srs = conn.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = "
                       "'road_segment'").fetchone()[0]
    qgis_project.embed(conn, srs, gpkg_name="elsewhere.gpkg")
    conn.commit()
    conn.close()
    assert _points_elsewhere(district) == "elsewhere.gpkg"
    with Store.open(district) as store:
        store.set_meta("note", "next write")
    assert _points_elsewhere(district) is None


def test_a_file_without_a_project_gets_one_on_its_first_write(district):
    conn = sqlite3.connect(district)
    conn.execute("DELETE FROM qgis_projects")
    conn.commit()
    conn.close()
    assert _key(district) is None
    with Store.open(district) as store:
        store.set_meta("note", "first write")
    conn = sqlite3.connect(district)
    try:
        assert qgis_project.embedded_qgs(conn) is not None
    finally:
        conn.close()
    assert _points_elsewhere(district) is None
