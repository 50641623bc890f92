"""The locate box on the tool bar: type a component code, part of a name, a source id (the id
an imported file gave the asset) or a 街道 and press Enter; one answer is shown at once (the
asset selected, zoomed to, outlined and shown in the identify panel; a sub-district framed)
and the keys go back to the map (Escape too), several are offered in a list under the box.
Window behaviour on the :class:`~citymgr_desktop.ui.shell.window.Window` contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QMenu

from citymgr_desktop.core.editing.locate import Found, locate
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.render import layer_title
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.ui.shell.window import Window


class LocateBox(QLineEdit):
    """One line on the tool bar (Ctrl+F puts the cursor in it)."""

    def __init__(self, window: Window) -> None:
        super().__init__()
        self.window_ = window
        self.setObjectName("locateBox")
        self.setClearButtonEnabled(True)
        self.setPlaceholderText(i18n.tr("Locate: object code, name or sub-district"))
        self.setToolTip(i18n.tr("Type a component code (16 digits or its beginning), part of "
                                "a name, a source id (an imported file's own id) or a "
                                "sub-district (街道) and press Enter"))
        self.setMaximumWidth(260)
        self.returnPressed.connect(self.run)
        self.menu: QMenu | None = None
        window.storeChanged.connect(lambda _store: self.clear())  # a search of the other file

    def run(self) -> list[Found]:
        w = self.window_
        if w.store is None or not w.is_project:
            return []
        try:
            found = locate(w.store, self.text(), w.edit_session)
        except CitymgrError as exc:
            w.status(str(exc))
            return []
        if not found:
            w.status(i18n.tr("Nothing found for “%1”").replace("%1", self.text().strip()))
        elif len(found) == 1:
            go_to(w, found[0])
        else:
            self._offer(found)
        return found

    def _offer(self, found: list[Found]) -> None:
        lang = i18n.label_language()
        self.menu = QMenu(self)
        self.menu.setObjectName("locateResults")
        for f in found:
            what = i18n.tr("Sub-district") if f.kind == "district" else layer_title(
                f.layer or "", lang)
            action = self.menu.addAction(f"{f.label} · {what}")
            action.triggered.connect(lambda _c=False, f=f: go_to(self.window_, f))
        self.menu.popup(self.mapToGlobal(QPoint(0, self.height())))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape gives the keys back to the map (the window's shortcuts, e.g. Ctrl+E, which
        a line edit keeps for itself), as after an answer is shown."""
        if event.key() == Qt.Key.Key_Escape:
            self.window_.canvas.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        super().keyPressEvent(event)


def go_to(w: Window, found: Found) -> None:
    """Show one answer of the locate box on the map; the keys go to the map, so the window's
    shortcuts (Ctrl+E the asset's form…) act on it rather than on the box's text."""
    from citymgr_desktop.ui.shell import select_identify as si

    w.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
    if found.kind == "district":
        layers = [n for n in (w.map_data.names() if w.map_data else [])
                  if n in ("road_segment", "bridge", "green_space", "litter_bin")]
        extents = w.store.asset_extents_by("district", layers, district=found.key) \
            if w.store else {}
        if found.key in extents:
            (x0, y0, x1, y1), _n = extents[found.key]
            pad = max(x1 - x0, y1 - y0) * 0.05
            w.canvas.zoom_to_bbox(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
            w.status(i18n.tr("Sub-district %1").replace("%1", found.key))
        return
    assert found.layer is not None
    w.selection.replace_all({found.layer: [found.key]})
    w.selection.set_current_layer(found.layer)
    w.zoom_to_selection()
    si.identify_features(w, [(found.layer, found.key)])  # shown, and outlined
    w.status(found.label)
