"""UI test fixtures: offscreen Qt, isolated settings, a leak check for top-level windows, and
a main window with its own copy of the sample district open and drawn.

The sample copy itself is ``district`` from ``tests/conftest.py`` (a fresh copy of a
4,000-feature district in ``tmp_path`` for every test).
"""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture
def isolated_settings(tmp_path, qapp):
    """QSettings go to ``tmp_path`` (never the developer's real settings)."""
    from PySide6.QtCore import QCoreApplication, QSettings

    old = (QCoreApplication.organizationName(), QCoreApplication.applicationName())
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))
    QCoreApplication.setOrganizationName("citymgr-tests")
    QCoreApplication.setApplicationName("citymgr-desktop-tests")
    QSettings().clear()
    yield tmp_path / "settings"
    QCoreApplication.setOrganizationName(old[0])
    QCoreApplication.setApplicationName(old[1])


@pytest.fixture(autouse=True)
def no_blocking_message_boxes():
    """A message box nobody clicks would hang the run (CI has no user): answer it with the
    safe choice (Discard/No/Cancel/OK). Tests that need another answer patch it themselves;
    this guard outlives their patches, so teardown (closing a window) never blocks either."""
    from PySide6.QtWidgets import QMessageBox

    b = QMessageBox.StandardButton
    safe_order = (b.Discard, b.No, b.Cancel, b.Close, b.Ok)

    def answer(*args, **kwargs):
        buttons = kwargs.get("buttons")
        if buttons is None:
            buttons = next((a for a in args if isinstance(a, b)), b.Ok)
        for choice in safe_order:
            if buttons & choice:
                return choice
        return b.Ok

    names = ("question", "warning", "information", "critical")
    saved = {n: getattr(QMessageBox, n) for n in names}
    saved_exec = QMessageBox.exec
    for n in names:
        setattr(QMessageBox, n, staticmethod(answer))
    QMessageBox.exec = lambda self: int(b.Ok)
    yield
    for n, fn in saved.items():
        setattr(QMessageBox, n, fn)
    QMessageBox.exec = saved_exec


@pytest.fixture(autouse=True)
def collect_on_the_main_thread():
    """Collect the test's garbage here, on the main thread: windows and widgets a test let go
    of sit in reference cycles (features keep the window, the window their close guards), and
    a cycle collection that happens to run in a render or worker thread would destroy their
    Qt objects there (a segmentation fault in the next test's render thread)."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def no_leaked_windows(request):
    """Fail a test that leaves a visible top-level window behind (close what you open)."""
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError:  # pragma: no cover - tests/ui needs Qt anyway
        yield
        return
    app = QApplication.instance()
    before = {id(w) for w in app.topLevelWidgets() if w.isVisible()} if app else set()
    yield
    app = QApplication.instance()
    if app is None:
        return
    app.processEvents()
    leaked = [w for w in app.topLevelWidgets()
              if w.isVisible() and id(w) not in before and w.isWindow()
              and type(w).__name__ not in ("QMenu", "QToolTip", "QTipLabel")]
    for w in leaked:
        w.close()
    if leaked:
        names = ", ".join(f"{type(w).__name__}({w.objectName() or w.windowTitle()!r})"
                          for w in leaked)
        pytest.fail(f"{request.node.name} left top-level windows open: {names}")


@pytest.fixture
def sample_copy(district: Path, tmp_path: Path) -> Path:
    """A copy of the sample district under a name of its own (``district`` is the same file)."""
    dst = tmp_path / "sample_copy.gpkg"
    shutil.copyfile(district, dst)
    return dst


@pytest.fixture
def main_window(qtbot, isolated_settings):
    """A main window (features installed) of 1200×800, shown; closed afterwards."""
    from citymgr_desktop.ui.shell.main_window import MainWindow

    w = MainWindow()
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.fixture
def opened_window(qtbot, main_window, district):
    """``main_window`` with the test's copy of the district open and its map drawn."""
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        assert main_window.open_file(district)
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=30_000)
    return main_window
