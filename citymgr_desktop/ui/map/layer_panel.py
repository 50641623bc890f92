"""The layer panel: layers top-first with visibility, drawing order, counts and the legend of
condition categories (swatches drawn by the renderer's own symbols).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from citymgr_desktop.render import MapData, draw_swatch, layer_title, legend_entries, symbol_for
from citymgr_desktop.render.data import POINT

LAYER_ROLE = Qt.ItemDataRole.UserRole
ICON = 18


def swatch_icon(symbol, size: int = ICON) -> QIcon:
    pix = QPixmap(size * 2, size * 2)
    pix.setDevicePixelRatio(2.0)
    pix.fill(QColor(0, 0, 0, 0))
    p = QPainter(pix)
    draw_swatch(p, QRectF(1, 1, size - 2, size - 2), symbol, dpi=96.0)
    p.end()
    return QIcon(pix)


class LayerPanelWidget(QTreeWidget):
    """Top item = the layer drawn on top. Check boxes switch layers on and off; drag a layer
    (or use its menu) to change the order; expand it for its legend."""

    layersChanged = Signal()  # visibility or order
    zoomToLayer = Signal(str)
    currentLayerChanged = Signal(object)  # str or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPanel")
        self.setWindowTitle(self.tr("Layers"))
        self.setHeaderHidden(True)
        self.setIconSize(QSize(ICON, ICON))
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemChanged.connect(self._on_item_changed)
        self.currentItemChanged.connect(lambda *_: self.currentLayerChanged.emit(
            self.current_layer()))
        self.itemDoubleClicked.connect(self._on_double_click)
        self.lang = "en"
        self._building = False
        self._context_actions: list[QAction] = []

    # -- content -------------------------------------------------------------------------
    def set_layers(self, names: list[str], counts: dict[str, int]) -> None:
        """Show layers (drawing order, bottom first) before their data is loaded."""
        self._rebuild([(n, counts.get(n, 0), []) for n in names], {})

    def set_data(self, data: MapData | None) -> None:
        """Show the loaded layers with their legend; keeps visibility and order by name."""
        if data is None:
            self._rebuild([], {})
            return
        entries = legend_entries(data, lang=self.lang)
        rows = [(lyr.name, lyr.count, [e for e in entries if e.layer == lyr.name])
                for lyr in data.layers]
        kinds = {lyr.name: (lyr.kinds[-1] if lyr.kinds else POINT) for lyr in data.layers}
        self._rebuild(rows, kinds)

    def _rebuild(self, rows: list, kinds: dict[str, str]) -> None:
        state = dict(self._state())
        order = [n for n, _ in self._state()]
        expanded = {self.topLevelItem(i).data(0, LAYER_ROLE): self.topLevelItem(i).isExpanded()
                    for i in range(self.topLevelItemCount())
                    if self.topLevelItem(i).childCount()}
        current = self.current_layer()
        self._building = True
        self.clear()
        names = [r[0] for r in rows]
        # keep the user's order for known layers; new layers at their file position
        if order and set(order) & set(names):
            known = [n for n in reversed(order) if n in names]
            rows.sort(key=lambda r: known.index(r[0]) if r[0] in known else -1)
        for name, count, entries in reversed(rows):
            item = QTreeWidgetItem([f"{layer_title(name, self.lang)}  ({count:,})"])
            item.setData(0, LAYER_ROLE, name)
            item.setToolTip(0, name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
            item.setCheckState(0, Qt.CheckState.Checked if state.get(name, True)
                               else Qt.CheckState.Unchecked)
            single = [e for e in entries if not e.label]
            if single or (name in kinds and not entries):
                item.setIcon(0, swatch_icon(single[0].symbol if single else
                                            symbol_for(name, -1, kinds[name])))
            for e in entries:
                if not e.label:
                    continue
                child = QTreeWidgetItem([f"{e.label}  ({e.count:,})"])
                child.setIcon(0, swatch_icon(e.symbol))
                child.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.addChild(child)
            self.addTopLevelItem(item)
            item.setExpanded(expanded.get(name, item.childCount() > 0))
        self._building = False
        if current:
            self.set_current_layer(current)

    def _state(self) -> list[tuple[str, bool]]:
        """(name, visible) from top to bottom."""
        out = []
        for i in range(self.topLevelItemCount()):
            it = self.topLevelItem(i)
            out.append((it.data(0, LAYER_ROLE), it.checkState(0) == Qt.CheckState.Checked))
        return out

    # -- queries -------------------------------------------------------------------------
    def visible_layers(self) -> list[str]:
        """Checked layers in drawing order (bottom first)."""
        return [n for n, visible in reversed(self._state()) if visible]

    def all_layers(self) -> list[str]:
        return [n for n, _ in reversed(self._state())]

    def current_layer(self) -> str | None:
        it = self.currentItem()
        while it is not None and it.parent() is not None:
            it = it.parent()
        return it.data(0, LAYER_ROLE) if it is not None else None

    def set_current_layer(self, name: str) -> None:
        for i in range(self.topLevelItemCount()):
            if self.topLevelItem(i).data(0, LAYER_ROLE) == name:
                self.setCurrentItem(self.topLevelItem(i))

    def set_visible(self, name: str, visible: bool) -> None:
        for i in range(self.topLevelItemCount()):
            it = self.topLevelItem(i)
            if it.data(0, LAYER_ROLE) == name:
                it.setCheckState(0, Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)

    def move_layer(self, name: str, steps: int) -> None:
        """Move a layer up (negative: towards the top of the list, drawn later) or down."""
        for i in range(self.topLevelItemCount()):
            if self.topLevelItem(i).data(0, LAYER_ROLE) == name:
                j = max(0, min(self.topLevelItemCount() - 1, i + steps))
                if j != i:
                    expanded = self.topLevelItem(i).isExpanded()
                    item = self.takeTopLevelItem(i)
                    self.insertTopLevelItem(j, item)
                    item.setExpanded(expanded)
                    self.setCurrentItem(item)
                    self.layersChanged.emit()
                return

    # -- events --------------------------------------------------------------------------
    def _on_item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if not self._building and item.parent() is None:
            self.layersChanged.emit()

    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.parent() is None:
            self.zoomToLayer.emit(item.data(0, LAYER_ROLE))

    def dropEvent(self, event) -> None:
        """Layers are only reordered, never nested: drop above/below the layer under the
        cursor (its legend rows count as the layer)."""
        moving = self.currentItem()
        if moving is None or moving.parent() is not None:
            event.ignore()
            return
        target = self.itemAt(event.position().toPoint())
        while target is not None and target.parent() is not None:
            target = target.parent()
        src = self.indexOfTopLevelItem(moving)
        if target is None:
            dst = self.topLevelItemCount() - 1
        else:
            dst = self.indexOfTopLevelItem(target)
            rect = self.visualItemRect(target)
            if event.position().y() > rect.center().y() and dst < src:
                dst += 1
            elif event.position().y() < rect.center().y() and dst > src:
                dst -= 1
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if dst != src:
            self.move_layer(moving.data(0, LAYER_ROLE), dst - src)

    def _menu(self, pos) -> None:
        name = self.current_layer()
        if name is None or self.itemAt(pos) is None:
            return
        menu = QMenu(self)
        zoom = QAction(self.tr("Zoom to Layer"), menu)
        zoom.triggered.connect(lambda: self.zoomToLayer.emit(name))
        up = QAction(self.tr("Move Up"), menu)
        up.triggered.connect(lambda: self.move_layer(name, -1))
        down = QAction(self.tr("Move Down"), menu)
        down.triggered.connect(lambda: self.move_layer(name, 1))
        only = QAction(self.tr("Show Only This Layer"), menu)
        only.triggered.connect(lambda: self._show_only(name))
        menu.addActions([zoom, up, down, only])
        if self._context_actions:
            menu.addSeparator()
            menu.addActions(self._context_actions)
        menu.exec(self.viewport().mapToGlobal(pos))

    def add_context_action(self, action: QAction) -> None:
        """An action of a feature on every layer's context menu, after the panel's own (it
        acts on the current layer, the row right-clicked)."""
        self._context_actions.append(action)

    def _show_only(self, name: str) -> None:
        self._building = True
        for i in range(self.topLevelItemCount()):
            it = self.topLevelItem(i)
            it.setCheckState(0, Qt.CheckState.Checked if it.data(0, LAYER_ROLE) == name
                             else Qt.CheckState.Unchecked)
        self._building = False
        self.layersChanged.emit()
