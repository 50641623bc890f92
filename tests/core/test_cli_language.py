"""The command line prints errors in the chosen language: ``CITYMGR_LANG``, else the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``: the first one set decides), English by default; one
function (``cli_language``) decides, and a command-line option can set it."""

from __future__ import annotations

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.cli.commands import _common

LOCALE = ("CITYMGR_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def env(monkeypatch):
    for name in LOCALE:
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    _common.set_cli_language(None)


@pytest.mark.parametrize(("given", "lang"), [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh_CN"),
    ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"CITYMGR_LANG": "zh", "LC_ALL": "C"}, "zh_CN"),
    ({"CITYMGR_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_cli_language_from_the_environment(env, given, lang):
    for name, value in given.items():
        env.setenv(name, value)
    assert _common.cli_language() == lang


def test_an_option_wins_over_the_environment(env):
    env.setenv("CITYMGR_LANG", "en")
    _common.set_cli_language("zh_CN")
    assert _common.cli_language() == "zh_CN"


def test_errors_are_printed_in_chinese(env, tmp_path, capsys):
    env.setenv("LANG", "zh_CN.UTF-8")
    assert main(["info", str(tmp_path / "missing.gpkg")]) == 3
    err = capsys.readouterr().err
    assert err.startswith("citymgr: error: ") and "文件不存在" in err and "no such file" not in err
    env.setenv("CITYMGR_LANG", "en")
    assert main(["info", str(tmp_path / "missing.gpkg")]) == 3
    assert "no such file" in capsys.readouterr().err


def test_an_expression_error_in_chinese(env, small_district, capsys):
    env.setenv("CITYMGR_LANG", "zh_CN")
    assert main(["edit", str(small_district), "--layer", "litter_bin", "--where",
                 "conditon >= 4", "--set", "condition=2"]) == 8
    err = capsys.readouterr().err
    assert "表达式错误" in err and "conditon" in err and err[-1] == "\n" and err.count("\n") == 1
