"""The editing feature's tool bar icons: save, add and move point, the attribute table, drawn
in the look of the window's icon set (``ui/icons.py``); undo and redo are the set's own."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from citymgr_desktop.ui import icons

_SVG = {  # the inside of a 24x24 <svg> of ui/icons.py, one accent colour
    "save": '<path d="M4 4h13l3 3v13H4z"/><path d="M8 4v5h8V4" stroke="#1565c0"/>'
            '<rect x="8" y="13" width="8" height="5"/>',
    "add_point": '<circle cx="10" cy="14" r="4" fill="#1b9e3e" stroke="#0b5d22"/>'
                 '<path d="M18 3v8M14 7h8" stroke="#1565c0"/>',
    "move_point": '<circle cx="7" cy="17" r="2.5" stroke-dasharray="2 1.5"/>'
                  '<circle cx="17" cy="7" r="3" fill="#f28e1c" stroke="#9a5200"/>'
                  '<path d="M9 15l5-5" stroke="#1565c0"/>',
    "table": '<rect x="3" y="4" width="18" height="16" rx="1"/>'
             '<path d="M3 9h18M3 14h18M9 9v11" stroke="#1565c0"/>',
}


def toolbar_icon(name: str) -> QIcon:
    """Undo/redo from the window's icon set, the editing icons drawn in the same style."""
    if name in ("undo", "redo"):
        return icons.icon(name)
    return icons.svg_icon(_SVG[name], sizes=(16, 24, 32, 48))
