"""The app on a PostGIS database (issue 14): opened like a file, a condition edited in the
asset form with real input, Ctrl+S saves through the database's versioned save; another
user's commit on the same field meanwhile brings the merge dialog, answered by its button.
Runs on the throwaway cluster of ``tests/pg`` (skipped where PostgreSQL is missing)."""

from __future__ import annotations

import psycopg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from tests.pg.conftest import pg_cluster, pg_url, published  # noqa: F401  (fixtures)
from tests.ui.driver import answer, pick, press, type_into
from tests.ui.scenarios.test_records_and_orders import CTRL, select_bin, set_condition_in_form

pytestmark = pytest.mark.slow


@pytest.fixture
def db_window(qtbot, main_window, published):  # noqa: F811
    with qtbot.waitSignal(main_window.mapLoaded, timeout=60_000):
        assert main_window.open_file(published)
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=30_000)
    return main_window


def _condition(url: str, uuid: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT condition, version FROM litter_bin WHERE asset_uuid = %s",
                            (uuid,)).fetchone()


def test_an_edit_in_the_form_is_saved_into_the_database(qtbot, db_window, shots):
    w = db_window
    url = w.store.target
    assert w.store.is_database and w.edit_session is not None
    assert w.windowTitle().startswith("postgresql://")
    assert QSettings().value("files/recent")[0] == url  # no password in it
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    before = _condition(url, uuid)
    set_condition_in_form(qtbot, w, 4)
    assert _condition(url, uuid) == before  # not saved yet
    shots("edited", w)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    assert _condition(url, uuid) == (4, before[1] + 1)


def test_another_users_commit_on_the_same_field_gives_the_merge_dialog(qtbot, db_window,
                                                                      shots):
    w = db_window
    url = w.store.target
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 4)
    with psycopg.connect(url) as other:  # another user's session commits meanwhile
        other.execute("UPDATE litter_bin SET condition = 3, name = '别人改', version = "
                      "version + 1 WHERE asset_uuid = %s", (uuid,))
    seen = {}

    def fill(dialog):
        shots("merge", dialog)
        seen["rows"] = dialog.table.rowCount()
        seen["theirs"] = dialog.table.item(0, 3).text()
        seen["header"] = dialog.table.horizontalHeaderItem(3).text()
        pick(qtbot, dialog.boxes[0], "theirs")

    with answer(qtbot, "Merge and save", fill=fill, title="Save edits"):
        press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert seen == {"rows": 1, "theirs": "3 Mediocre", "header": "In the database now"}
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT condition, name FROM litter_bin WHERE asset_uuid = %s",
                           (uuid,)).fetchone()
    assert row == (3, "别人改")  # theirs kept, nothing lost


def _bin_xy(w, uuid: str) -> tuple[float, float]:
    bins = w.map_data.layer("litter_bin")
    i = next(i for i in range(bins.count) if bins.key(i) == uuid)
    point = bins.pieces["point"]
    x, y = point.coords[point.piece_start[point.feature_piece[i]]]
    return float(x), float(y)


def _table_condition(w, uuid: str) -> str | None:
    model = w.installed_features["editing"].table.model
    column = model.columns.index("condition")
    for row in range(model.rowCount()):
        if model.uuid_at(row) == uuid:
            return model.data(model.index(row, column))
    return None


def test_another_sessions_commit_shows_on_the_map_and_in_the_table(qtbot, db_window, shots):
    w = db_window
    w.dock("attribute_table_dock").show()
    w.selection.set_current_layer("litter_bin")
    table = w.installed_features["editing"].table
    qtbot.waitUntil(lambda: table.model is not None and table.model.rowCount() > 0,
                    timeout=20_000)
    uuid = table.model.uuid_at(0)
    x, y = _bin_xy(w, uuid)
    qtbot.wait(1500)  # the watcher listens
    with psycopg.connect(w.store.target) as other:
        other.execute("UPDATE litter_bin SET condition = 5, geom = ST_Translate(geom, 40, 0), "
                      "version = version + 1 WHERE asset_uuid = %s", (uuid,))
    qtbot.waitUntil(lambda: _bin_xy(w, uuid) == (x + 40, y), timeout=3_000)
    qtbot.waitUntil(lambda: (_table_condition(w, uuid) or "").startswith("5"), timeout=3_000)
    shots("after-others-commit", w)


def test_a_district_role_is_asked_its_password_and_sees_other_districts_read_only(
        qtbot, main_window, pg_cluster, published, shots):  # noqa: F811
    from citymgr_desktop.core.store.postgis.grant import grant

    w = main_window
    dbname = published.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "CREATE ROLE li_si LOGIN PASSWORD 'pw-li'")
    grant(published, "li_si", "粮道街道")
    as_li = pg_cluster.url(dbname, "li_si")  # no password: libpq has none, the app asks

    def type_password(dialog):
        type_into(qtbot, dialog.findChild(QLineEdit), "pw-li")

    with answer(qtbot, "OK", fill=type_password, title="Database password"), \
            qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        assert w.open_file(as_li)
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
    assert "pw-li" not in str(QSettings().value("files/recent"))
    district = lambda u: w.edit_session.row("litter_bin", u)["district"]  # noqa: E731
    select_bin(qtbot, w, where=lambda u: district(u) != "粮道街道")
    seen = {}

    def look(form):
        seen["read_only"] = form.read_only
        shots("read-only-form", form)
        seen["note"] = form.findChild(QLabel, "form_read_only").text()

    with answer(qtbot, "Close", fill=look):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    assert seen["read_only"] and "granted to you" in seen["note"]
    bins = w.map_data.layer("litter_bin")
    own = next(bins.key(i) for i in range(bins.count) if district(bins.key(i)) == "粮道街道")
    w.selection.set_selection("litter_bin", [own])
    set_condition_in_form(qtbot, w, 2 if w.edit_session.row("litter_bin", own)["condition"]
                          != 2 else 3)  # its own 街道: the form edits
    assert w.edit_session.dirty


def test_a_field_package_out_of_the_database_and_back_in_the_app(qtbot, db_window, shots,
                                                                 tmp_path):
    """File > New field package… and File > Field sync… on a database, with real clicks and
    typing: the package is written, edited in the field while another user commits a change
    of the same field of another bin, and synced back: the field's edit lands, the other
    user's value is kept and the conflict is in the summary."""
    from citymgr_desktop.core import gpkg
    from citymgr_desktop.ui.sync.dialog import SyncDialog
    from citymgr_desktop.ui.sync.field_package_dialog import AREA_DISTRICT, FieldPackageDialog
    from tests.ui.driver import menu_item, open_dialogs

    w = db_window
    url = w.store.target
    menu_item(qtbot, w, "file", "New field package…")
    qtbot.waitUntil(lambda: any(isinstance(d, FieldPackageDialog) for d in open_dialogs()),
                    timeout=5000)
    d = next(d for d in open_dialogs() if isinstance(d, FieldPackageDialog))
    out = tmp_path / "field" / "粮道.gpkg"
    out.parent.mkdir()
    type_into(qtbot, d.out, str(out))
    pick(qtbot, d.area, AREA_DISTRICT)
    pick(qtbot, d.district, text="粮道街道")
    type_into(qtbot, d.surveyor, "李四")
    with qtbot.waitSignal(d.created, timeout=120_000):
        qtbot.mouseClick(d.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not d.busy(), timeout=60_000)
    shots("checked-out", d)
    assert out.exists() and out.with_suffix(".qgz").exists()
    assert "粮道.gpkg" in d.message.text()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT name, surveyor FROM citymgr_field_package").fetchall() == \
            [("粮道.gpkg", "李四")]
    d.close()

    package = gpkg.connect(str(out))
    with package:
        mine, theirs = (r[0] for r in package.execute(
            "SELECT asset_uuid FROM litter_bin WHERE district = '粮道街道' ORDER BY fid LIMIT 2"))
        package.execute("UPDATE litter_bin SET remarks = '外业回传' WHERE asset_uuid = ?", (mine,))
        package.execute("UPDATE litter_bin SET remarks = '外业值' WHERE asset_uuid = ?",
                        (theirs,))
    package.close()
    with psycopg.connect(url) as other:  # another user meanwhile, the same field
        other.execute("UPDATE litter_bin SET remarks = '办公室值', version = version + 1 "
                      "WHERE asset_uuid = %s", (theirs,))

    menu_item(qtbot, w, "file", "Field sync…")
    qtbot.waitUntil(lambda: any(isinstance(d, SyncDialog) for d in open_dialogs()),
                    timeout=5000)
    s = next(d for d in open_dialogs() if isinstance(d, SyncDialog))
    assert not s.backup.isVisible() and not s.tabs.isTabEnabled(1)
    type_into(qtbot, s.package, str(out))
    with qtbot.waitSignal(s.synced, timeout=120_000):
        qtbot.mouseClick(s.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not s.busy(), timeout=60_000)
    shots("synced", s)
    assert s.report.status == "applied" and s.report.open_conflicts == 1
    notes = [s.notes.item(i).text() for i in range(s.notes.count())]
    assert any("办公室值" in n and "外业值" in n for n in notes), notes
    with psycopg.connect(url) as conn:
        remarks = dict(conn.execute("SELECT asset_uuid, remarks FROM litter_bin WHERE "
                                    "asset_uuid = ANY(%s)", ([mine, theirs],)).fetchall())
    assert remarks == {mine: "外业回传", theirs: "办公室值"}
    s.close()
