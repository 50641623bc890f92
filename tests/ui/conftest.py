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
def no_unanswered_dialogs(request):
    """A dialog nobody answers would hang the run (CI has no user). Tests answer prompts by
    clicking their real buttons (``tests/ui/driver.py: answer``); a modal dialog still open
    after ``DIALOG_PATIENCE_S`` is closed (rejected) and fails the test, naming it. Nothing
    is ever answered on a test's behalf. A progress dialog is not a question: it closes itself
    when its work ends (and a test waits for that work)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QProgressDialog

    app = QApplication.instance()
    if app is None:
        yield
        return
    seen: dict[int, float] = {}
    stuck: list[str] = []
    marker = request.node.get_closest_marker("dialog_patience")
    patience = float(marker.args[0]) if marker else DIALOG_PATIENCE_S
    import time

    def look() -> None:
        now = time.monotonic()
        for w in QApplication.topLevelWidgets():
            if (isinstance(w, QDialog) and not isinstance(w, QProgressDialog)
                    and w.isVisible() and w.isModal()):
                first = seen.setdefault(id(w), now)
                if now - first > patience:
                    stuck.append(f"{type(w).__name__}({w.windowTitle()!r}: "
                                 f"{getattr(w, 'text', lambda: '')()!r})")
                    w.reject()

    timer = QTimer()
    timer.setInterval(500)
    timer.timeout.connect(look)
    timer.start()
    yield
    timer.stop()
    if stuck:
        pytest.fail(f"{request.node.name} left dialogs unanswered: {', '.join(stuck)}")


DIALOG_PATIENCE_S = 20.0


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
def user_named(isolated_settings):
    """The editor's name is known (asked once on a real first run; see the scenario that
    answers that prompt)."""
    from PySide6.QtCore import QSettings

    QSettings().setValue("user/name", "测试员")
    return "测试员"


@pytest.fixture
def main_window(qtbot, isolated_settings, user_named):
    """A main window (features installed) of 1200×800, shown; closed afterwards (unsaved
    edits are discarded first: the close prompt is a scenario of its own)."""
    from citymgr_desktop.ui.shell.main_window import MainWindow

    w = MainWindow()
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.edit_session is not None and w.edit_session.dirty:
        w.edit_session.discard()
    w.close()


@pytest.fixture
def shots(request, tmp_path):
    """Screenshots of the test's steps (``tests/ui/driver.py: Shots``): under the test's
    temporary folder, or ``$CITYMGR_SCREENSHOTS/<test name>`` to keep them."""
    from tests.ui.driver import Shots

    keep = os.environ.get("CITYMGR_SCREENSHOTS")
    name = request.node.name.replace("[", "-").replace("]", "")
    return Shots(Path(keep) / name if keep else tmp_path / "screenshots")


@pytest.fixture
def opened_window(qtbot, main_window, district):
    """``main_window`` with the test's copy of the district open and its map drawn."""
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        assert main_window.open_file(district)
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=30_000)
    return main_window


@pytest.fixture
def small_window(qtbot, main_window, small_district):
    """``main_window`` with the test's copy of the small (300-feature) district open."""
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        assert main_window.open_file(small_district)
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=30_000)
    return main_window
