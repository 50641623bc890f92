"""The sync dialog's Preview and Sync in the real window: under unsaved edits Preview says
that it compares the saved file and leaves them out (and how to see them); with no package
given neither can be pressed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

from PySide6.QtCore import Qt

from citymgr_desktop.ui.sync.dialog import SyncDialog
from tests.ui.driver import type_into
from tests.ui.test_sync_dialog import dialog, setup, wait_idle  # noqa: F401  (fixtures)


def _preview(qtbot, dialog) -> str:  # noqa: F811
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, dialog)
    assert dialog.report is not None and dialog.report.status == "dry-run"
    return dialog.message.text()


def test_preview_under_unsaved_edits_says_they_are_not_in_it(qtbot, setup, dialog,  # noqa: F811
                                                            shots):
    window, _pkg, (_a, b) = setup
    clean = _preview(qtbot, dialog)
    assert "unsaved" not in clean and "尚未保存" not in clean
    # the office renames bin b, which the field renamed too, and does not save
    window.edit_session.set_value("litter_bin", b, "name", "办公室改名")
    before = Path(window.store.path).read_bytes()
    text = _preview(qtbot, dialog)
    assert ("1 unsaved change(s)" in text) or ("尚未保存的 1 处修改" in text), text
    shots("preview-unsaved", dialog)
    assert dialog.report.totals()["conflict"] == 1  # the saved file's conflict only
    assert Path(window.store.path).read_bytes() == before and window.edit_session.dirty
    window.edit_session.discard()


def test_sync_and_preview_wait_for_a_package_to_be_given(qtbot, setup):  # noqa: F811
    """Trial 11: both were enabled with the package path still empty."""
    window, pkg, _ = setup
    d = SyncDialog(window)
    d.show()
    qtbot.waitExposed(d)
    assert d.package.text() == ""
    assert not d.sync_button.isEnabled() and not d.preview_button.isEnabled()
    type_into(qtbot, d.package, str(pkg))
    assert d.sync_button.isEnabled() and d.preview_button.isEnabled()
    type_into(qtbot, d.package, "   ")
    assert not d.sync_button.isEnabled() and not d.preview_button.isEnabled()
    d.sync()  # as Ctrl+Return does: still refused with a word
    assert not d.busy() and "first" in d.message.text()
    d.close()
