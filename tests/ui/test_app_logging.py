"""The app is a gui-script (no console on Windows): what it logs goes to a file in the
platform's log folder (QStandardPaths AppLocalDataLocation/logs), warnings and Qt's messages
included; --verbose/--debug choose how much."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_app(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "HOME": str(tmp_path)}
    res = subprocess.run([sys.executable, "-m", "citymgr_desktop.ui.app", "--screenshot",
                          str(tmp_path / "shot.png"), "--size", "640x480", *args],
                         env=env, capture_output=True, text=True, timeout=180, check=False)
    log = tmp_path / "data" / "citymgr" / "citymgr-desktop" / "logs" / "citymgr-desktop.log"
    return res, log


def test_the_app_logs_to_a_file_in_the_platform_folder(tmp_path):
    res, log = _run_app(tmp_path, "--debug", "--lang", "zh_CN")
    assert res.returncode == 0, res.stderr
    assert log.exists(), sorted(str(p) for p in tmp_path.rglob("*.log"))
    text = log.read_text(encoding="utf-8")
    assert "citymgr-desktop" in text and "started" in text and "zh_CN" in text
    assert "DEBUG" in text  # --debug
    quiet_res, _ = _run_app(tmp_path / "quiet")
    assert quiet_res.returncode == 0
    quiet = (tmp_path / "quiet" / "data" / "citymgr" / "citymgr-desktop" / "logs" /
             "citymgr-desktop.log").read_text(encoding="utf-8")
    assert "DEBUG" not in quiet and "started" in quiet


def test_warnings_and_errors_reach_the_log(tmp_path, monkeypatch):
    import logging
    import warnings

    from citymgr_desktop.ui import app

    path = app.setup_logging(debug=False, verbose=False, folder=tmp_path / "logs")
    try:
        warnings.warn("a library complains", UserWarning, stacklevel=1)
        logging.getLogger("citymgr_desktop.test").error("something failed")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        app.stop_logging()
    text = path.read_text(encoding="utf-8")
    assert "a library complains" in text and "something failed" in text
    assert "RuntimeError: boom" in text


def test_lang_on_the_command_line_is_for_that_run_only(tmp_path):
    """A one-off ``--lang en`` (a screenshot for a report) does not change the language the
    next plain launch shows: that is Settings > Language (here Chinese, kept in the
    settings file as the Settings dialog keeps it)."""
    cfg = tmp_path / "cfg" / "citymgr"
    cfg.mkdir(parents=True)
    (cfg / "citymgr-desktop.conf").write_text("[ui]\nlanguage=zh_CN\n", encoding="utf-8")
    res, log = _run_app(tmp_path, "--lang", "en")
    assert res.returncode == 0, res.stderr
    res, log = _run_app(tmp_path)
    assert res.returncode == 0, res.stderr
    started = [line for line in log.read_text(encoding="utf-8").splitlines()
               if "started (language" in line]
    assert ["(language en," in started[0], "(language zh_CN," in started[1]] == [True, True]
    assert "language=zh_CN" in (cfg / "citymgr-desktop.conf").read_text(encoding="utf-8")
