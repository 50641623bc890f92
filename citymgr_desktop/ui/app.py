"""Entry point: ``citymgr-desktop [FILE] [--screenshot OUT.png] [--lang en|zh_CN]``.

Creates the application (organisation/application names for QSettings), installs the
translator, finds a CJK font, shows the main window and opens FILE. ``--screenshot`` waits
until the map is drawn (antialiased), saves a picture of the whole window and exits: for
documentation and for checks (works offscreen and under Xvfb). It never waits for a click:
an error is printed on one line and the exit code is the error's (the picture is still
written), and any question a dialog asks is dismissed. A file open in another citymgr window
is no error here (a screenshot only views): the note is printed and the exit code is 0.

The app is a gui-script (no console on Windows), so it logs to a file in the platform's log
folder (``QStandardPaths.AppLocalDataLocation/logs/citymgr-desktop.log``: ``%LOCALAPPDATA%``
on Windows, ``~/Library/Application Support`` on macOS, ``~/.local/share`` on Linux), rotated
at 1 MB, with Python warnings, Qt's own messages and uncaught exceptions; ``--verbose`` and
``--debug`` log more. A console, when there is one, gets the same lines.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import (
    QCoreApplication,
    QStandardPaths,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox

from citymgr_desktop import __version__
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.splash import show_splash

ORGANISATION = "citymgr"
APPLICATION = "citymgr-desktop"
SCREENSHOT_TIMEOUT_MS = 120_000


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="citymgr-desktop",
                                description="City-management asset inventory desktop GIS.")
    p.add_argument("file", nargs="?", help="a GeoPackage to open, or a database "
                   "(postgresql://USER@HOST/DB or service=NAME)")
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="open FILE, wait for the map, save a picture of the window and exit "
                   "(exit code 0, or the error's when FILE cannot be shown; a FILE open in "
                   "another citymgr window is shown read-only: 0)")
    p.add_argument("--size", default="1440x900",
                   help="window size for --screenshot (default 1440x900)")
    p.add_argument("--bbox", help="the first view, minx,miny,maxx,maxy (map CRS): a small one is read and drawn before the rest of the map")
    p.add_argument("--lang", choices=["en", "zh_CN"], help="interface language of this run "
                   "(default: the one chosen in Settings, else the system's; not remembered)")
    verbosity = p.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true",
                           help="log more (INFO) to the log file and the console")
    verbosity.add_argument("--debug", action="store_true", help="log everything (DEBUG)")
    p.add_argument("--version", action="version", version=f"citymgr-desktop {__version__}")
    return p.parse_args(argv)


LOG_NAME = "citymgr-desktop.log"
_QT_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
_handlers: list[logging.Handler] = []
_previous_hook = sys.excepthook


def log_folder() -> Path:
    """The platform's folder for this app's logs (after the application names are set)."""
    base = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / f".{APPLICATION}") / "logs"


def setup_logging(verbose: bool = False, debug: bool = False,
                  folder: Path | None = None) -> Path:
    """Log to a rotating file (and the console if any); returns the file's path."""
    folder = folder or log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_NAME
    level = logging.DEBUG if debug else logging.INFO
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000,
                                                        backupCount=3, encoding="utf-8")
    file_handler.setFormatter(fmt)
    file_handler.setLevel(level)
    handlers: list[logging.Handler] = [file_handler]
    if sys.stderr is not None:  # pythonw (Windows gui-script) has no console
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        console.setLevel(logging.DEBUG if debug else logging.INFO if verbose else
                         logging.WARNING)
        handlers.append(console)
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for h in handlers:
        root.addHandler(h)
    _handlers.extend(handlers)
    logging.captureWarnings(True)
    qInstallMessageHandler(_qt_message)
    sys.excepthook = _log_uncaught
    return path


def stop_logging() -> None:
    """Undo :func:`setup_logging` (tests; the app logs until it exits)."""
    root = logging.getLogger()
    for h in _handlers:
        root.removeHandler(h)
        h.close()
    _handlers.clear()
    logging.captureWarnings(False)
    qInstallMessageHandler(None)
    sys.excepthook = _previous_hook


def _qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    logging.getLogger("qt").log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def _log_uncaught(kind: type[BaseException], value: BaseException,
                  tb: TracebackType | None) -> None:
    """An uncaught exception goes to the log (and, through it, to the console if any)."""
    logging.getLogger(APPLICATION).critical("uncaught exception", exc_info=(kind, value, tb))


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv or [APPLICATION]))
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app.setApplicationDisplayName("citymgr-desktop")
    return app  # type: ignore[return-value]


def setup_language(lang: str | None) -> str:
    """Install the translator (``lang``, else settings, else the system locale). ``--lang``
    is for this run only (a screenshot in English): Settings > Language is what is kept."""
    return i18n.install(lang)


def setup_fonts(app: QApplication, lang: str) -> str | None:
    """Find a CJK font; with Chinese UI make it the application font's fallback."""
    from citymgr_desktop.render import MISSING_FONT_MESSAGE, ensure_cjk_font

    family = ensure_cjk_font()
    if family is None:
        logging.getLogger(__name__).warning(MISSING_FONT_MESSAGE)
        return None
    font = app.font()
    families = [font.family(), family] if not lang.startswith("zh") else [family, font.family()]
    font.setFamilies(families)
    app.setFont(font)
    return family


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get(
            "WAYLAND_DISPLAY") and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = create_application([sys.argv[0]])
    app.aboutToQuit.connect(finish_threads)
    log_path = setup_logging(args.verbose, args.debug)
    lang = setup_language(args.lang)
    logging.getLogger(APPLICATION).info("citymgr-desktop %s started (language %s, Qt platform "
                                        "%s); log file %s", __version__, lang,
                                        app.platformName(), log_path)
    logging.getLogger(APPLICATION).debug("arguments: %s", vars(args))
    # the splash is on screen before the fonts, the map stack and the features are imported
    # (seconds on a busy PC); a --screenshot run has nobody to show it to
    splash = None if args.screenshot else show_splash(args.file)
    if splash is not None:
        logging.getLogger(APPLICATION).debug("splash shown")
        splash.say(i18n.tr("Loading fonts…"))
    family = setup_fonts(app, lang)
    if splash is not None:
        splash.say(i18n.tr("Preparing the map window…"))
    from citymgr_desktop.ui.shell.main_window import MainWindow

    window = MainWindow()
    if family is None:
        from citymgr_desktop.render import MISSING_FONT_MESSAGE

        # English in any language: without a Chinese font its Chinese would show as boxes
        window.status(str(MISSING_FONT_MESSAGE), 30000)
    args.box = None
    if args.bbox:
        try:
            box = [float(v) for v in args.bbox.split(",")]
            if len(box) != 4:
                raise ValueError
        except ValueError:
            print(f"citymgr-desktop: error: --bbox {args.bbox!r}: expected minx,miny,maxx,maxy",
                  file=sys.stderr)
            return 2
        args.box = tuple(box)  # the first view: read and drawn before the rest of the map
    if args.screenshot:
        return _screenshot(app, window, args)
    window.show()
    if splash is not None:
        splash.finish(window)  # closed once the main window is on screen
    if args.file:
        QTimer.singleShot(0, lambda: window.open_file(args.file, extent=args.box))
    return app.exec()


def finish_threads() -> None:
    """As the app quits (Ctrl+Q, the window closed, a screenshot done or failed), possibly
    while the map still loads: cancel the worker threads and wait for them, so that no
    ``QThread`` is destroyed while its thread runs (Qt would abort the process: exit -6)."""
    from citymgr_desktop.ui import worker
    from citymgr_desktop.ui.dashboard import figures_thread
    from citymgr_desktop.ui.editing import attribute_table_query

    worker.stop_all()
    attribute_table_query.cancel_all()
    figures_thread.wait_all()


def _screenshot(app: QApplication, window, args: argparse.Namespace) -> int:
    """Show FILE, save a picture of the window and exit; never wait for a click. An error
    (the file cannot be opened or loaded) is printed on one line, the picture still shows
    what the window shows, and the exit code is the error's."""
    from citymgr_desktop.core.atomic import atomic_path
    from citymgr_desktop.core.errors import BadFileError, InUseError
    from citymgr_desktop.export import verify
    from citymgr_desktop.ui import worker

    out = Path(args.screenshot)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"citymgr-desktop: error: --size {args.size!r}: expected WIDTHxHEIGHT",
              file=sys.stderr)
        return 2
    window.resize(w, h)
    window.show()
    state = {"rc": 1, "done": False}
    failures: list[BaseException] = []

    def grab() -> None:
        if state["done"]:
            return
        if not failures and not window.canvas.is_settled():
            QTimer.singleShot(100, grab)
            return
        state["done"] = True
        app.processEvents()
        try:
            with atomic_path(out, verify=verify.image("PNG")) as tmp:
                verify.save_image(window.grab(), tmp, "PNG")
            print(f"wrote {out}")
            state["rc"] = _exit_code(failures[0]) if failures else 0
        except BadFileError as exc:
            print(f"citymgr-desktop: error: {i18n.render(exc)}", file=sys.stderr)
        window.close()
        app.quit()

    def failed(_title: str, exc: BaseException) -> None:
        if isinstance(exc, InUseError):  # open in another window: a screenshot only views
            print(f"citymgr-desktop: {i18n.render(exc)}", file=sys.stderr)
            return
        failures.append(exc)
        print(f"citymgr-desktop: error: {exc}", file=sys.stderr)
        QTimer.singleShot(300, grab)  # the picture of what the window shows, then exit

    worker.report_errors_to(failed)
    _dismiss_dialogs(app)
    if args.file:
        # grab() polls until the antialiased frame of the final view is on screen
        window.mapLoaded.connect(lambda _d: QTimer.singleShot(300, grab))
        window.open_file(args.file, extent=args.box)
    else:
        QTimer.singleShot(300, grab)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: (print(
        "citymgr-desktop: error: the map did not finish drawing", file=sys.stderr),
        app.quit()))
    app.exec()
    worker.report_errors_to(None)
    return state["rc"]


def _exit_code(exc: BaseException) -> int:
    return int(getattr(exc, "exit_code", 1) or 1)


def _dismiss_dialogs(app: QApplication) -> None:
    """Close any question a modal dialog asks meanwhile (as Cancel would): a screenshot run
    has nobody to answer it. Progress dialogs stay: they belong to the work being waited for."""
    from PySide6.QtWidgets import QDialog, QProgressDialog

    def sweep() -> None:
        dialog = app.activeModalWidget()
        if isinstance(dialog, QDialog) and not isinstance(dialog, QProgressDialog):
            dialog.reject()
        QTimer.singleShot(200, sweep)

    QTimer.singleShot(200, sweep)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["QMessageBox", "create_application", "main"]
