"""What several tests of the app on a database use: a bin's condition and version as the
database has it, a condition-1 bin selected and edited in the asset form, and the reader of
the merge (or restore) dialog's first row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from tests.ui.driver import pick
from tests.ui.scenarios.test_records_and_orders import select_bin, set_condition_in_form


def condition(url: str, uuid: str) -> tuple[int, int]:
    """(condition, version) of the litter bin ``uuid`` in the database at ``url``."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT condition, version FROM litter_bin WHERE asset_uuid = %s",
                            (uuid,)).fetchone()


def edit_a_condition_1_bin(qtbot, w, value: int) -> tuple[str, int]:
    """Select a litter bin of condition 1 on the map (real clicks) and set its condition to
    ``value`` in the asset form, unsaved; (its uuid, the database's version of it before)."""
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    _condition, version = condition(w.store.target, uuid)
    set_condition_in_form(qtbot, w, value)
    return uuid, version


def merge_dialog_reader(qtbot, shots, shot: str, seen: dict[str, Any], choice: str
                        ) -> Callable[[Any], None]:
    """A fill for ``answer``: takes the screenshot ``shot`` of the dialog, notes its row
    count, the first row's database value and that column's header in ``seen``, and picks
    ``choice`` ("mine" or "theirs") for the first row."""
    def fill(dialog) -> None:
        shots(shot, dialog)
        seen["rows"] = dialog.table.rowCount()
        seen["theirs"] = dialog.table.item(0, 3).text()
        seen["header"] = dialog.table.horizontalHeaderItem(3).text()
        pick(qtbot, dialog.boxes[0], choice)
    return fill
