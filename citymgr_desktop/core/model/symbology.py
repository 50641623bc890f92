"""Map symbology as data: condition colours and per-class symbols.

One source for our renderer and for the QGIS styles written into the GeoPackage, so QGIS and
the app show the same map.
"""

from __future__ import annotations

from dataclasses import dataclass

from citymgr_desktop.core.model.domains import CONDITION

# the road names (QGIS's labeling of the styles written, and our renderer's labels)
LABEL_MAX_SCALE = 25000  # road names appear from 1:25 000 inwards
LABEL_FONTS = ("Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "SimHei", "Sans Serif")

# condition -> RGB hex; None = not yet assessed.
CONDITION_COLOURS: dict[int | None, str] = {
    1: "#1a9850",
    2: "#91cf60",
    3: "#fee08b",
    4: "#fc8d59",
    5: "#d73027",
    None: "#9e9e9e",
}
UNASSESSED_EN = "Not assessed"
UNASSESSED_ZH = "未评定"
SELECTION_COLOUR = "#00e5ff"
DEFAULT_COLOUR = "#3465a4"  # layers outside the asset model


@dataclass(frozen=True)
class ClassSymbol:
    """How one asset class is drawn; sizes in millimetres (printed) / logical pixels."""

    kind: str  # "line", "point", "polygon"
    size_mm: float  # line width, marker size or outline width
    marker: str = "circle"  # circle, square, diamond (points only)
    fill_alpha: int = 255  # 0-255, polygons only
    outline: str = "#333333"


CLASS_SYMBOLS: dict[str, ClassSymbol] = {
    "road_segment": ClassSymbol("line", 0.8),
    "bridge": ClassSymbol("point", 3.2, marker="diamond"),
    "green_space": ClassSymbol("polygon", 0.3, fill_alpha=150, outline="#2e7d32"),
    "litter_bin": ClassSymbol("point", 1.8, marker="circle"),
}


def condition_categories(lang: str = "zh") -> list[tuple[int | None, str, str]]:
    """(value, label, colour) for every condition category, 'not assessed' last."""
    cats: list[tuple[int | None, str, str]] = [
        (c.value, f"{c.value} {c.label(lang)}", CONDITION_COLOURS[c.value]) for c in CONDITION.codes
    ]
    cats.append((None, UNASSESSED_ZH if lang.startswith("zh") else UNASSESSED_EN,
                 CONDITION_COLOURS[None]))
    return cats
