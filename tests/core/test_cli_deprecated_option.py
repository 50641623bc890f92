"""An old spelling of an option (``field-package --surveyor``) still works and says it is
deprecated in the language of the command line: under ``--lang zh_CN`` the warning was
English among Chinese messages."""

from __future__ import annotations

import pytest

from tests.faults.support import run


@pytest.mark.parametrize("where", ["global", "command"])
def test_deprecated_spelling_warns_in_chinese(tmp_path, where):
    command = ["field-package", str(tmp_path / "missing.gpkg"), "--out",
               str(tmp_path / "pkg.gpkg"), "--surveyor", "张三"]
    lang = ["--lang", "zh_CN"]
    err = run(lang + command if where == "global" else command + lang).err
    assert "Traceback" not in err, err
    warning = [line for line in err.splitlines() if "--surveyor" in line]
    assert warning == ["citymgr: warning: --surveyor 已弃用（将在 0.2 版移除），请改用 --user"], err
    assert not (tmp_path / "pkg.gpkg").exists()


def test_deprecated_spelling_warns_in_english(tmp_path):
    err = run(["--lang", "en", "field-package", str(tmp_path / "missing.gpkg"), "--out",
               str(tmp_path / "pkg.gpkg"), "--surveyor", "Zhang"]).err
    assert "Traceback" not in err, err
    assert "citymgr: warning: --surveyor is deprecated (removed in 0.2); use --user" in err
