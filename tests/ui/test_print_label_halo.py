"""The road names on a printed map: each name's white halo is its letters' own outline,
stroked 1.6 mm wide in white, under the same outline filled in the text colour. Read back
from the PDF the ``citymgr`` process writes. (Qt's PDF writer strokes a path only with an
opaque pen; the translucent halo pen made it write an outline of the stroke instead, filled:
ten times the bytes of the letters, four fifths of an atlas page, with slivers of the halo
left open.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from citymgr_desktop.render.label_sprites import TEXT_COLOUR
from citymgr_desktop.render.labels import HALO_MM
from tests.ui.pdf_reading import painted_paths

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
STREET = "中华路街道"


@pytest.fixture
def district(tmp_path) -> Path:
    path = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, path)
    return path


def test_a_road_names_halo_is_its_letters_outline_stroked_white(district, tmp_path):
    pdf = tmp_path / "street.pdf"
    run = subprocess.run([sys.executable, "-m", "citymgr_desktop", "print-map", str(district),
                          "--district", STREET, "--out", str(pdf), "--no-codes"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    paths = painted_paths(pdf)
    halos = [k for k, p in enumerate(paths) if p.op == "stroke" and p.colour == "#ffffff"
             and abs(p.width_mm - 2 * HALO_MM) < 0.01]
    assert len(halos) >= 10, len(halos)  # the old halos were white fills, none a stroke
    text = TEXT_COLOUR.name()
    for k in halos:
        letters = next(p for p in paths[k + 1:] if p.op == "fill")
        assert letters.colour == text
        assert letters.points.shape == paths[k].points.shape
        assert np.abs(letters.points - paths[k].points).max() < 0.01  # mm
