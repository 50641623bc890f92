"""File > Save Map as Image: the window's current view as a PNG at twice the screen
resolution, drawn by the shared renderer (antialiased, with the selection and labels)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.export import verify
from citymgr_desktop.render import RenderOptions, render_image
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.ui.shell.window import Window

SCALE = 2  # pixels per screen pixel: crisp on paper and on high-DPI screens


def export_map_image(window: Window) -> Path | None:
    """Ask for a file name and write the view there; returns the path written."""
    tr = i18n.tr
    if window.map_data is None:  # nothing open, or its map still loading (the status bar)
        window.status(tr("The map is not loaded yet") if window.store is not None
                      else tr("Open a file first"))
        return None
    start = str(QSettings().value("files/imageDir", str(Path.home())))
    name = (window.store.path.stem if window.store else "map") + ".png"
    path, _ = QFileDialog.getSaveFileName(window, tr("Save Map as Image"),
                                          str(Path(start) / name), tr("PNG image (*.png)"))
    if not path:
        return None
    target = Path(path if path.lower().endswith(".png") else path + ".png")
    QSettings().setValue("files/imageDir", str(target.parent))
    return write_map_image(window, target)


def write_map_image(window: Window, target: Path) -> Path | None:
    """Render the canvas view into ``target`` (temp file + rename: never a half image)."""
    c = window.canvas
    size = (c.width() * SCALE, c.height() * SCALE)
    image = render_image(window.map_data, c.extent(), size, RenderOptions(
        layers=c.layers, selection=window.selection.all(), dpi=c.logicalDpiX() * SCALE,
        lang=window.lang))
    try:
        with atomic_path(target, verify=verify.image("PNG")) as tmp:
            verify.save_image(image, tmp, "PNG")
    except BadFileError:
        QMessageBox.warning(window, i18n.tr("Save Map as Image"),
                            i18n.tr("%1 could not be written.").replace("%1", str(target)))
        return None
    window.status(i18n.tr("Saved %1").replace("%1", target.name))
    return target
