"""The import wizard's "Save report…" writes through the one atomic writer, as every output
does: a link is written through (the link stays), a folder (or a device) given as the file is
one message box, not a traceback, and nothing is written. The real window and wizard, the
button clicked; only the file chooser's answer is given."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from citymgr_desktop.ui.importing import report_page
from citymgr_desktop.ui.importing.wizard import ImportWizard
from tests.core import import_sources as src
from tests.ui.driver import answer
from tests.ui.test_import_wizard import _open, _to_page, window  # noqa: F401 (a fixture)


def _report_page(window, qtbot, tmp_path):  # noqa: F811
    wiz = _open(window, qtbot, src.geojson_roads(tmp_path))
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    values = wiz.values_page
    for field, word in values.unmatched_rows():
        values.choose(field, word, 3 if field == "condition" else "branch")
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    button = next(b for b in wiz.report_page.findChildren(QPushButton)
                  if b.text() == "Save report…")
    return wiz, button


def _chosen(monkeypatch, path) -> None:
    monkeypatch.setattr(report_page.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(path), "JSON (*.json)")))


def test_save_report_through_a_link_and_onto_a_folder(window, qtbot, tmp_path,  # noqa: F811
                                                      monkeypatch):
    wiz, button = _report_page(window, qtbot, tmp_path)
    target = tmp_path / "reports" / "kept.json"
    target.parent.mkdir()
    link = tmp_path / "import-report.json"
    link.symlink_to(target)
    _chosen(monkeypatch, link)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert link.is_symlink() and json.loads(target.read_text(encoding="utf-8"))

    folder = tmp_path / "a-folder.json"
    folder.mkdir()
    _chosen(monkeypatch, folder)
    with answer(qtbot, "OK", kind=QMessageBox) as box:  # the old code: IsADirectoryError
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert "is a folder" in box.text and "\n" not in box.text.strip()
    assert folder.is_dir() and not any(folder.iterdir())
    assert wiz.isVisible()
