"""The one question before a dialog drops what was typed into it (Esc on the asset form, the
maintenance record): Discard / Keep editing, Keep editing the default and Esc's answer."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget


def discard_asked(parent: QWidget, question: str) -> bool:
    """Ask ``question`` ("Discard your changes to this asset?"); True to drop the changes."""
    def tr(text: str) -> str:
        return QCoreApplication.translate("discard", text)

    box = QMessageBox(QMessageBox.Icon.Question, tr("Discard changes?"), question,
                      parent=parent)
    drop = box.addButton(tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton(tr("Keep editing"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is drop
