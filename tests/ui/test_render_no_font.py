"""``citymgr render`` on a machine without a Chinese font warns in the language of the command
line: Chinese under ``LANG=zh_CN.UTF-8`` or ``--lang zh_CN`` (it was English in any language),
English under ``--lang en``. The CLI process, in a mount namespace where the system's font
folders are empty (root's ``unshare -m``; skipped where the kernel refuses one)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from tests.faults.support import LANGUAGE_VARIABLES, Result, command, environment

FONT_FOLDERS = [p for p in ("/usr/share/fonts", "/usr/local/share/fonts") if Path(p).is_dir()]


def _namespaces() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(not _namespaces(),
                                reason="no mount namespace here (unshare -m needs root)")


def without_fonts(argv: list[object], env: dict[str, str]) -> Result:
    """``citymgr ARGV`` as a process that sees empty font folders."""
    hide = " && ".join(f"mount -t tmpfs none {shlex.quote(p)}" for p in FONT_FOLDERS)
    script = f"{hide} && exec {shlex.join(command(argv))}"
    variables = {k: v for k, v in environment().items() if k not in LANGUAGE_VARIABLES}
    variables.pop("CITYMGR_CJK_FONT", None)
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, encoding="utf-8", env={**variables, **env}, timeout=300)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize(("env", "args", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, [], "citymgr: warning: 未找到中文字体：中文名称将显示为方框。"),
    ({}, ["--lang", "zh_CN"], "citymgr: warning: 未找到中文字体：中文名称将显示为方框。"),
    ({"LANG": "zh_CN.UTF-8"}, ["--lang", "en"],
     "citymgr: warning: No Chinese font was found: Chinese names will show as boxes."),
])
def test_missing_font_warning_speaks_the_command_line_language(small_district, tmp_path, env,
                                                               args, expected):
    png = tmp_path / "map.png"
    result = without_fonts(["render", small_district, "--out", png, "--size", "400x300",
                            *args], env)
    result.ok()
    warnings = [line for line in result.err.splitlines() if line.startswith("citymgr: warn")]
    assert len(warnings) == 1 and warnings[0].startswith(expected), result.err
    assert png.stat().st_size > 0  # a warning, not a refusal: the map is written
