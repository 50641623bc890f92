"""The one language source: what ``i18n.install`` put in place decides the language of
class names, field names and coded values everywhere in the UI, and of the core's messages
(errors, undo labels, the recovery list) wherever the UI shows them."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.worker import show_error
from tests.ui.driver import answer


def test_label_language_follows_the_installed_translation(qapp):
    try:
        i18n.install("zh_CN")
        assert (i18n.language(), i18n.label_language()) == ("zh_CN", "zh")
        i18n.install("en")
        assert (i18n.language(), i18n.label_language()) == ("en", "en")
    finally:
        i18n.install("en")


# -- core messages in the interface language ---------------------------------------------------
def test_a_file_error_is_shown_in_chinese(chinese, qtbot, main_window, tmp_path):
    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox) as box:
        assert not main_window.open_file(tmp_path / "不存在.gpkg")
    assert "文件不存在" in box.text and "no such file" not in box.text


@pytest.mark.parametrize(("lang", "expected"), [("en", "Unexpected error: boom"),
                                                ("zh_CN", "意外错误：boom")])
def test_an_unexpected_error_is_said_as_such(qapp, qtbot, lang, expected):
    """Not one of ours: "Unexpected error: …" (this raised TypeError in show_error before)."""
    try:
        i18n.install(lang)
        with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox) as box:
            show_error(None, "title", RuntimeError("boom"))
    finally:
        i18n.install("en")
    assert box.text == expected


def test_undo_label_and_edit_errors_in_chinese(chinese, qtbot, opened_window):
    w = opened_window
    session = w.edit_session
    assert session is not None
    uid = session.select("litter_bin", "condition = 1")[0]
    session.set_value("litter_bin", uid, "condition", 4)
    undo = next(a for a in w.findChildren(QAction) if a.text().startswith("撤销"))
    qtbot.waitUntil(lambda: "技术状况" in undo.text())
    assert undo.text().startswith("撤销：修改") and "Edit" not in undo.text()


def test_recovery_list_in_chinese(chinese, district):
    """The labels of a crashed session's edits come back from the journal in Chinese."""
    with Store.open(district) as store:
        session = EditSession(store, user="me")
        uid = session.select("litter_bin", "condition = 1")[0]
        session.set_value("litter_bin", uid, "condition", 4)
        session.journal.close(remove=False)  # as if the app died here
        session.journal = None
    with Store.open(district) as store:
        again = EditSession(store, user="me")
        assert again.recovery is not None
        labels = [i18n.render(label) for label in again.recovery.labels()]
        again.drop_recovery()
        again.close()
    assert labels and labels[0].startswith("修改") and labels[0].endswith("的技术状况")
