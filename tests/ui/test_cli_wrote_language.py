"""What render, print-map (a sheet and an atlas), sample and stats say they wrote, in the
--lang of the command line: Chinese under ``--lang zh_CN`` (a fresh user found these lines in
English), the English lines as they always were (scripts read them). The CLI process."""

from __future__ import annotations

import re

import pytest

from tests.faults.support import run

LATIN_WORD = re.compile(r"\b(?!x\b)[a-z]{3,}\b")  # English words (the file name aside)


def citymgr(*args: str) -> str:
    return run(args, timeout=300).ok()  # the one way the tests run the CLI


def _words(text: str, path) -> list[str]:
    return LATIN_WORD.findall(text.replace(str(path), ""))


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_wrote_lines_in_the_language_asked(small_district, tmp_path, lang):
    zh = lang == "zh_CN"
    png = tmp_path / "map.png"
    text = citymgr("render", str(small_district), "--out", str(png), "--size", "400x300",
                   "--lang", lang)
    if zh:
        assert re.fullmatch(rf"已写出 {re.escape(str(png))}（400x300，要素 [\d,]+ 个），用时 "
                            r"[\d.]+ 秒\n", text), text
    else:
        assert re.fullmatch(rf"wrote {re.escape(str(png))} \(400x300, [\d,]+ features\) in "
                            r"[\d.]+ s\n", text), text

    pdf = tmp_path / "sheet.pdf"
    text = citymgr("print-map", str(small_district), "--out", str(pdf), "--lang", lang)
    if zh:
        assert text.startswith(f"已写出 {pdf}：A") and "用时" in text, text
        assert re.search(r"：A\d (横向|纵向)，1:\d+，范围 \[.*图上显示 绿地：", text), text
        assert _words(text, pdf) == [], text
    else:
        assert re.fullmatch(rf"wrote {re.escape(str(pdf))}: A\d (landscape|portrait), 1:\d+, "
                            r"extent \[[-\d., ]+\], shown .*, in [\d.]+ s\n", text), text

    atlas = tmp_path / "atlas.pdf"
    text = citymgr("print-map", str(small_district), "--out", str(atlas), "--atlas",
                   "district", "--lang", lang)
    if zh:
        assert re.fullmatch(rf"已写出 {re.escape(str(atlas))}：\d+ 页，每个街道一页，A\d "
                            r"(横向|纵向)，比例尺 1:\d+(、1:\d+)*，用时 [\d.]+ 秒\n", text), text
    else:
        assert re.fullmatch(rf"wrote {re.escape(str(atlas))}: \d+ page\(s\), one per district, "
                            r"A\d (landscape|portrait), scale\(s\) 1:\d+(, 1:\d+)* in [\d.]+ s\n",
                            text), text

    sample = tmp_path / "sample.gpkg"
    text = citymgr("sample", "--out", str(sample), "--features", "100", "--lang", lang)
    if zh:
        assert re.fullmatch(rf"已写出 {re.escape(str(sample))}（资产 100 个，随机种子 1），用时 "
                            r"[\d.]+ 秒\n", text), text
    else:
        assert re.fullmatch(rf"wrote {re.escape(str(sample))} \(100 assets, seed 1\) in "
                            r"[\d.]+ s\n", text), text

    book = tmp_path / "stats.xlsx"
    text = citymgr("stats", str(small_district), "--xlsx", str(book), "--lang", lang)
    last = text.rstrip("\n").splitlines()[-1]
    assert last == (f"已写出 {book}" if zh else f"wrote {book}"), text


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_new_and_validate_in_the_language_asked(tmp_path, lang):
    project = tmp_path / "new.gpkg"
    created = citymgr("new", str(project), "--lang", lang)
    valid = citymgr("validate", str(project), "--lang", lang)
    if lang == "zh_CN":
        assert created == (f"已创建 {project}（CGCS2000 3度带高斯-克吕格投影 中央经线114°E，"
                           "行政区划代码 420106）\n")
        assert valid == f"{project}：有效\n"
    else:
        assert created == (f"created {project} (CGCS2000 / 3-degree Gauss-Kruger CM 114E, "
                           "district code 420106)\n")
        assert valid == f"{project}: valid\n"
