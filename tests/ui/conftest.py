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
def window_in(qtbot, isolated_settings, user_named):
    """Main windows in a language: ``window_in("zh_CN", path)`` installs the language (None:
    the one installed), builds a main window (features installed) of ``size``, shows it and,
    given ``path``, opens it and waits for its map to be drawn. Afterwards each window is
    closed (unsaved edits are discarded first: the close prompt is a scenario of its own)
    and English is installed again."""
    from citymgr_desktop.ui import i18n
    from citymgr_desktop.ui.shell.main_window import MainWindow

    built: list[MainWindow] = []

    def build(lang: str | None = None, path: Path | None = None,
              size: tuple[int, int] = (1200, 800)) -> MainWindow:
        if lang is not None:
            i18n.install(lang)
        w = MainWindow()
        built.append(w)
        w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        if path is not None:
            with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
                assert w.open_file(path)
            qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
        return w

    yield build
    for w in built:
        if w.edit_session is not None and w.edit_session.dirty:
            w.edit_session.discard()
        w.close()
    i18n.install("en")


@pytest.fixture
def main_window(window_in):
    """A main window (features installed) of 1200×800 in the installed language, shown;
    closed afterwards."""
    return window_in()


@pytest.fixture
def chinese(qapp):
    """The Chinese interface installed (before the windows a test builds), English after."""
    from citymgr_desktop.ui import i18n

    i18n.install("zh_CN")
    yield
    i18n.install("en")


@pytest.fixture
def shots(request, tmp_path):
    """Screenshots of the test's steps (``tests/ui/driver.py: Shots``): under the test's
    temporary folder, or ``$CITYMGR_SCREENSHOTS/<test name>`` to keep them."""
    from tests.ui.driver import Shots

    keep = os.environ.get("CITYMGR_SCREENSHOTS")
    name = request.node.name.replace("[", "-").replace("]", "")
    return Shots(Path(keep) / name if keep else tmp_path / "screenshots")


@pytest.fixture
def opened_window(window_in, district):
    """``main_window`` with the test's copy of the district open and its map drawn."""
    return window_in(None, district)


@pytest.fixture
def small_window(window_in, small_district):
    """``main_window`` with the test's copy of the small (300-feature) district open."""
    return window_in(None, small_district)
