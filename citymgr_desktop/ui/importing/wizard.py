"""The import wizard: source, layer and filter -> target class and field mapping -> value
words -> dry-run report with a map preview -> import (in a worker, with progress and Cancel).

The wizard holds what the pages decide (:class:`~.state.ImportState`) and runs the core's
long work (reading, the dry run, the import) through the shared worker. It never writes
itself: the import runs as one transaction in the core, and :attr:`ImportWizard.imported`
hands the result to the feature, which records it as one undo step. Window size and last
folders are remembered (QSettings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QDialog, QWidget, QWizard

from citymgr_desktop.core.importing import ImportResult
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.importing.mapping_page import ImportMappingPage
from citymgr_desktop.ui.importing.report_page import ImportReportPage
from citymgr_desktop.ui.importing.source_page import ImportSourcePage
from citymgr_desktop.ui.importing.state import ImportState
from citymgr_desktop.ui.importing.values_page import ImportValuesPage
from citymgr_desktop.ui.worker import Task, run_task, show_error

SETTINGS_GEOMETRY = "importer/geometry"


class ImportWizard(QWizard):
    """Import one source layer into one asset class of ``store``; the pages see it as their
    :class:`~.state.ImportHost`."""

    imported = Signal(object)  # ImportResult, after the import committed

    PAGE_SOURCE, PAGE_MAPPING, PAGE_VALUES, PAGE_REPORT = range(4)

    def __init__(self, parent: QWidget | None, store: Store,
                 user: Callable[[], str] = str) -> None:
        super().__init__(parent)
        self.store, self.user = store, user
        self.state = ImportState()
        self.task: Task | None = None
        self.setObjectName("import_wizard")
        self.setWindowTitle(self.tr("Import data"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("Import"))
        self.source_page = ImportSourcePage(self)
        self.mapping_page = ImportMappingPage(self)
        self.values_page = ImportValuesPage(self)
        self.report_page = ImportReportPage(self)
        self.setPage(self.PAGE_SOURCE, self.source_page)
        self.setPage(self.PAGE_MAPPING, self.mapping_page)
        self.setPage(self.PAGE_VALUES, self.values_page)
        self.setPage(self.PAGE_REPORT, self.report_page)
        geometry = QSettings().value(SETTINGS_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(980, 700)

    # -- long work ---------------------------------------------------------------------------
    def busy(self) -> bool:
        return self.task is not None and self.task.is_running()

    def run(self, title: str, fn: Callable[..., Any], on_done: Callable[[Any], None],
            *args: Any, uses: Any, **kwargs: Any) -> Task:
        """Run ``fn(*args, progress=..., **kwargs)`` in the worker; errors as one line.
        ``uses``: the store it reads or writes through (``run_task``)."""
        self.setEnabled(False)

        def done(result: Any) -> None:
            self.setEnabled(True)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self.setEnabled(True)
            show_error(self, title, exc)

        self.task = run_task(self, title, fn, *args, uses=uses, on_done=done, on_error=failed,
                             **kwargs)
        return self.task

    # -- finishing -----------------------------------------------------------------------------
    def finish_with(self, result: ImportResult) -> None:
        """The import committed: hand it over and close."""
        self.state.result = result
        self.imported.emit(result)
        QDialog.accept(self)

    def done(self, code: int) -> None:
        if self.busy():
            return  # the worker still runs: Cancel in its progress dialog first
        QSettings().setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        super().done(code)
