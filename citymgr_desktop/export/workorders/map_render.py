"""Adapter between the work-order map extract and the project's one renderer
(:mod:`citymgr_desktop.render`: ``load_map`` + ``draw_map``), kept in one place so the PDF
code does not depend on the renderer's module layout. No drawing of features happens here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

from citymgr_desktop.core.progress import Progress


def open_renderer(store: Any, progress: Progress | None = None) -> Any:
    """The project's layers loaded for drawing (every feature layer, in the project CRS)."""
    from citymgr_desktop.render import load_map

    return load_map(store, progress=progress)


def draw(data: Any, painter: QPainter, frame: QRectF,
         extent: tuple[float, float, float, float], dpi: float,
         highlight: dict[str, list[str]], lang: str = "zh", backdrop: Any = None,
         label_blocking: Sequence[QRectF] = ()) -> float:
    """Draw ``extent`` into ``frame`` (painter units at ``dpi``) with ``highlight``
    (layer -> asset uuids) drawn as the selection, over ``backdrop`` (the project's base map
    and reference layers, render/backdrop.py), no road name on ``label_blocking`` (painter
    rectangles drawn over the map afterwards); returns the scale denominator drawn."""
    from citymgr_desktop.render import RenderOptions, draw_map

    result = draw_map(painter, data, extent, frame,
             RenderOptions(selection=highlight, antialias=True, labels=True, dpi=dpi,
                           lang="zh_CN" if lang.startswith("zh") else "en", backdrop=backdrop,
                           label_blocking=tuple(label_blocking)))
    return float(result.scale)
