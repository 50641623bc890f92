"""Dialog for the monthly report (月报): which month, the language of the report and where
to write the PDF. The report itself is written by ``export/report/pdf.py`` in a worker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from citymgr_desktop.core.stats import Period


def recent_months(today: dt.date, count: int = 24) -> list[str]:
    """``YYYY-MM`` of this month and the ``count - 1`` before it, newest first."""
    out, month = [], Period.month(today.strftime("%Y-%m"))
    for _ in range(count):
        assert month.first is not None
        out.append(month.first.strftime("%Y-%m"))
        month = month.previous_month()
    return out


class ReportDialog(QDialog):
    """Month, language and output file of the monthly report."""

    def __init__(self, parent: QWidget | None, today: dt.date, folder: str, lang: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Monthly report"))
        self.setObjectName("reportDialog")
        self.month = QComboBox(objectName="reportMonth")
        for m in recent_months(today):
            self.month.addItem(m, m)
        self.language = QComboBox(objectName="reportLanguage")
        self.language.addItem("简体中文", "zh_CN")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(0 if lang == "zh_CN" else 1)
        self.path = QLineEdit(objectName="reportPath")
        self.folder = folder
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(self.tr("Month:"), self.month)
        form.addRow(self.tr("Language:"), self.language)
        form.addRow(self.tr("PDF file:"), row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.month.currentIndexChanged.connect(lambda _i: self._default_path())
        self._default_path()

    def _default_path(self) -> None:
        name = f"{self.tr('monthly-report')}-{self.month.currentData()}.pdf"
        current = self.path.text()
        if not current or Path(current).name.startswith(self.tr("monthly-report")):
            self.path.setText(str(Path(self.folder) / name))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the monthly report"),
                                              self.path.text(), self.tr("PDF (*.pdf)"))
        if path:
            self.path.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    def values(self) -> dict[str, str]:
        return {"month": self.month.currentData(), "lang": self.language.currentData(),
                "path": self.path.text().strip()}
