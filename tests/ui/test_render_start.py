"""What ``citymgr render`` loads and writes (issue 18: a small render is mostly start-up).

A map in the file's own CRS is drawn without pyproj (the CRS facts are remembered after the
first run: ``core/store/crs_memo.py``), without pandas, GeoPandas, pyogrio, pyarrow, the base
maps' code, the file check or the expression language, and without ``numpy.ma`` (NumPy's
``unique`` and ``median`` import it); the PNG is written by ``export/png.py`` with Qt's
pixels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib

import pytest
from pyproj import CRS
from PySide6.QtGui import QColor, QImage, QPainter

from citymgr_desktop.core.store import crs_memo
from citymgr_desktop.export.png import can_write, deflate, write_png
from citymgr_desktop.render.view import metres_per_unit, unit_metres

NOT_LOADED = ["pandas", "geopandas", "pyogrio", "pyarrow", "pyproj", "numpy.ma",
              "citymgr_desktop.core.basemaps", "citymgr_desktop.render.backdrop",
              "citymgr_desktop.core.expression", "citymgr_desktop.core.store.check",
              "urllib.request"]


def _render(path, out, *extra):
    script = ("import sys\n"
              "from citymgr_desktop.cli import main\n"
              f"code = main(['render', {str(path)!r}, '--out', {str(out)!r}, '--size', "
              f"'640x400', '--overwrite', *{list(extra)!r}])\n"
              f"print(code, [m for m in {NOT_LOADED!r} if m in sys.modules])\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().splitlines()[-1]


def test_a_render_in_the_files_own_crs_loads_none_of_the_heavy_libraries(
        small_district, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYMGR_CACHE_DIR", str(tmp_path / "cache"))
    first = _render(small_district, tmp_path / "first.png", "--legend")
    assert first.startswith("0 ['pyproj'")  # the CRS's facts are asked of pyproj once
    second = _render(small_district, tmp_path / "second.png", "--legend")
    assert second == "0 []"
    boxed = _render(small_district, tmp_path / "box.png", "--bbox",
                    "527000,3380000,528000,3381000", "--lang", "zh_CN")
    assert boxed == "0 []"
    assert QImage(str(tmp_path / "first.png")) == QImage(str(tmp_path / "second.png"))
    # another map CRS needs pyproj, and gets it
    assert _render(small_district, tmp_path / "wgs84.png", "--crs", "EPSG:4326").startswith(
        "0 ['pyproj'")


@pytest.mark.parametrize("epsg", [4547, 4490, 2229])
def test_the_remembered_unit_is_the_crs_unit(epsg):
    crs = CRS.from_epsg(epsg)
    facts = crs_memo.facts_of(crs)
    for latitude in (0.0, 30.0, 60.0):
        assert unit_metres(facts, latitude) == metres_per_unit(crs, latitude)


@pytest.mark.parametrize("size", [(1, 1), (17, 5), (640, 401)])
def test_a_png_written_by_us_has_qts_pixels_and_resolution(qapp, tmp_path, size):
    image = QImage(*size, QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(200, 30, 60))
    painter.drawEllipse(0, 0, size[0] - 1, size[1] - 1)
    painter.fillRect(0, 0, max(1, size[0] // 3), max(1, size[1] // 2), QColor(10, 120, 250))
    painter.end()
    image.setDotsPerMeterX(11811)  # 300 dpi
    image.setDotsPerMeterY(11811)
    assert can_write(image)
    write_png(image, tmp_path / "ours.png")
    back = QImage(str(tmp_path / "ours.png"))
    assert back.convertToFormat(QImage.Format.Format_RGB32) == image
    assert (back.dotsPerMeterX(), back.dotsPerMeterY()) == (11811, 11811)
    assert not back.hasAlphaChannel()
    # a map as drawn (premultiplied ARGB, opaque) is written as the same RGB without a copy
    drawn = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    assert can_write(drawn)
    write_png(drawn, tmp_path / "drawn.png")
    assert QImage(str(tmp_path / "drawn.png")).convertToFormat(QImage.Format.Format_RGB32) == image
    drawn.setPixelColor(0, 0, QColor(0, 0, 0, 254))  # one pixel not quite opaque: Qt's
    assert not can_write(drawn)


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_the_rows_deflated_by_several_threads_are_one_zlib_stream(parts):
    data = bytes(range(256)) * 9000 + b"\x00" * 700_001  # 2.9 MB, repeats across the cuts
    for level in (1, 3, 6, 9):
        packed = deflate(memoryview(data), level, parts)
        assert zlib.decompress(packed) == data
        assert len(packed) <= len(zlib.compress(data, level)) * 1.01 + 64


def test_a_render_process_that_ends_at_once_says_all_it_has_to_say(small_district, tmp_path):
    """``render`` ends its process without Python's teardown (``end_at_once``): what it
    prints reaches a pipe whole, with the exit code, and an error is still one line."""
    run = [sys.executable, "-m", "citymgr_desktop", "render", str(small_district), "--out",
           str(tmp_path / "map.png"), "--size", "320x200"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([*run, "--legend", "--json"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    told = json.loads(done.stdout)
    assert told["features"] == 300 and len(told["legend"]) > 4
    assert QImage(str(tmp_path / "map.png")).size().width() == 320
    again = subprocess.run([*run, "--legend"], capture_output=True, text=True, env=env)
    assert again.returncode == 3 and again.stdout == ""
    assert again.stderr.count("\n") == 1 and "already exists" in again.stderr


THREADS = """
import os, sys
from citymgr_desktop.cli import main
code = main(sys.argv[1:])
names = set()
for task in os.listdir("/proc/self/task"):
    with open(f"/proc/self/task/{task}/comm") as f:
        names.add(f.read().strip())
print(code, sorted(names))
"""
POOLED = """
import os, sys
from pathlib import Path
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
from citymgr_desktop.core.store import Store
from citymgr_desktop.export.png import write_png
from citymgr_desktop.render import RenderOptions, load_map, render_image
with Store.open(sys.argv[1], read_only=True) as store:
    data = load_map(store, identities=False)
write_png(render_image(data, data.extent(), (1280, 800), RenderOptions()), Path(sys.argv[2]))
names = set()
for task in os.listdir("/proc/self/task"):
    with open(f"/proc/self/task/{task}/comm") as f:
        names.add(f.read().strip())
print(0, sorted(names))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_render_fills_on_its_own_threads(small_district, tmp_path):
    """Qt's raster engine would hand each larger fill (the translucent parks, the halos)
    to its GUI thread pool and wait: the hand-over costs more than it saves on a map of
    small shapes, so ``render`` switches the pool off (``QT_NO_GUI_THREADPOOL``); the
    pixels are those of a frame drawn with the pool."""
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    env["QT_QPA_PLATFORM"] = "offscreen"

    def threads(script, *args):
        run = subprocess.run([sys.executable, "-c", script, *map(str, args)],
                             capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        code, names = run.stdout.strip().splitlines()[-1].split(" ", 1)
        assert code == "0"
        return names

    assert "Thread (pooled)" not in threads(THREADS, "render", small_district, "--out",
                                            tmp_path / "map.png", "--size", "1280x800")
    # the same map drawn in a process of Qt's defaults: the pool did fills there
    assert "Thread (pooled)" in threads(POOLED, small_district, tmp_path / "pooled.png")
    ours, pooled = QImage(str(tmp_path / "map.png")), QImage(str(tmp_path / "pooled.png"))
    assert not ours.isNull() and ours == pooled


def test_a_box_is_read_through_the_index_without_counting_the_files_rows(
        qapp, small_district, monkeypatch):
    """What a ``--bbox`` render asks SQLite: nothing that reads a whole table (the row
    counts of ``Store.layers()`` are not taken for a box; the rows come by the rtree)."""
    import sqlite3

    from citymgr_desktop.core.store import Store
    from citymgr_desktop.render import load_map

    asked: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(lambda sql: asked.append(" ".join(sql.split())))
        return conn

    with Store.open(small_district, read_only=True) as store:
        minx, miny, maxx, maxy = load_map(store).extent()
    cx, cy, w, h = (minx + maxx) / 2, (miny + maxy) / 2, (maxx - minx) / 6, (maxy - miny) / 6
    monkeypatch.setattr(sqlite3, "connect", traced)
    with Store.open(small_district, read_only=True) as store:
        data = load_map(store, bbox=(cx - w, cy - h, cx + w, cy + h), identities=False)
    assert 0 < sum(layer.count for layer in data.layers) < 300
    whole = [sql for sql in asked if sql.startswith("SELECT count(*) FROM \"")]
    assert whole == []
    assert any("rtree_litter_bin_geom" in sql for sql in asked)


SHIBOKEN_COMPILES = """
import builtins, marshal, sys
from pathlib import Path
compile_, seen = builtins.compile, {}

def counted(source, filename, mode, *args, **kwargs):
    if str(filename).startswith("shibokensupport/") or filename == "signature_bootstrap.py":
        seen[filename] = source
    return compile_(source, filename, mode, *args, **kwargs)
builtins.compile = counted
from citymgr_desktop.cli import main
code = main(sys.argv[1:])
from citymgr_desktop.export.qt_start import cache_file
kept = marshal.loads(cache_file().read_bytes())
same = all(marshal.loads(kept[k]) == compile_(seen[k[0]], k[0], "exec", k[2], True, k[3])
           for k in kept if k[0] in seen)
print(code, len(seen), len(kept), same)
"""


def test_a_render_compiles_pysides_own_python_once(small_district, tmp_path):
    """shiboken's support package is embedded as source: a render compiles it when the
    cache has none of it, then takes the same code objects from the cache; a damaged cache
    is compiled past and written again."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "CITYMGR_CACHE_DIR": str(tmp_path / "cache")}

    def render(name):
        run = subprocess.run([sys.executable, "-c", SHIBOKEN_COMPILES, "render",
                              str(small_district), "--out", str(tmp_path / name),
                              "--size", "320x200"], capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr
        code, compiled, kept, same = run.stdout.split()[-4:]
        return int(code), int(compiled), int(kept), same == "True"

    code, compiled, kept, same = render("cold.png")
    assert code == 0 and compiled >= 10 and kept == compiled and same
    assert render("warm.png") == (0, 0, kept, True)
    (cache,) = (tmp_path / "cache").glob("shiboken-*")
    cache.write_bytes(b"\x00damaged")
    assert render("again.png") == (0, compiled, kept, True)
    assert render("warm-again.png") == (0, 0, kept, True)
    warm, cold = QImage(str(tmp_path / "warm.png")), QImage(str(tmp_path / "cold.png"))
    assert not warm.isNull() and warm == cold
