"""修改人 (``updated_by``) is kept per database login: a window of another login on the same
machine is asked its own name (offered the login), not given the name another login gave
(trial 8: the saves of wang_wu and li_si were recorded as zhang_san)."""

from __future__ import annotations

import psycopg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit

from tests.ui.driver import answer, press, type_into
from tests.ui.scenarios.test_records_and_orders import CTRL, set_condition_in_form

pytestmark = pytest.mark.slow


def test_another_login_is_asked_its_own_name(qtbot, main_window, pg_cluster, published,
                                             superuser_named):
    from citymgr_desktop.core.store.postgis.grant import grant

    w = main_window
    dbname = published.rsplit("/", 1)[1]
    role = "wang_wu_" + "_".join(dbname.rsplit("_", 2)[-2:])  # roles belong to the cluster: one per test
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw-wang'")
    grant(published, role, "粮道街道")
    with qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        assert w.open_file(pg_cluster.url(dbname, role, "pw-wang"))
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
    district = lambda u: w.edit_session.row("litter_bin", u)["district"]  # noqa: E731
    bins = w.map_data.layer("litter_bin")
    uuid = next(bins.key(i) for i in range(bins.count) if district(bins.key(i)) == "粮道街道")
    w.selection.set_selection("litter_bin", [uuid])
    condition = w.edit_session.row("litter_bin", uuid)["condition"]
    seen = {}

    def fill(dialog):
        seen["offered"], seen["text"] = dialog.textValue(), dialog.labelText()
        type_into(qtbot, dialog.findChild(QLineEdit), "王五")

    with answer(qtbot, "OK", fill=fill, kind=QInputDialog, title="Your name"):
        set_condition_in_form(qtbot, w, 2 if condition != 2 else 3)  # asked at the change
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert seen["offered"] == role and role in seen["text"]
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=30_000)
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT updated_by, db_user FROM litter_bin WHERE asset_uuid = %s",
                            (uuid,)).fetchone() == ("王五", role)
    assert QSettings().value(f"user/name_of_login/{role}") == "王五"
    assert QSettings().value(f"user/name_of_login/{pg_cluster.superuser}") == superuser_named
    assert w.user_name(ask=False) == "王五"
