"""The panel of base maps and reference layers: one row per layer, top row drawn last, with
a check box for visibility, an opacity slider for the current row, and buttons to move,
add and remove layers. It edits a list of :class:`MapLayer` and says when it changed."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.basemaps import MapLayer

NAME_ROLE = Qt.ItemDataRole.UserRole


class MapLayersWidget(QWidget):
    """Rows of map layers (top = drawn last); ``layersEdited`` after any change by the user."""

    layersEdited = Signal()
    addRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapLayersWidget")
        self._layers: list[MapLayer] = []  # bottom first
        self._building = False
        self.rows = QListWidget(objectName="mapLayerRows")
        self.rows.itemChanged.connect(self._on_item_changed)
        self.rows.currentRowChanged.connect(self._show_current)
        self.opacity = QSlider(Qt.Orientation.Horizontal, objectName="mapLayerOpacity")
        self.opacity.setRange(0, 100)
        self.opacity.valueChanged.connect(self._on_opacity)
        self.opacity_label = QLabel()
        self.add_button = QPushButton(self.tr("Add…"), objectName="addMapLayer")
        self.up_button = QPushButton(self.tr("Up"), objectName="mapLayerUp")
        self.down_button = QPushButton(self.tr("Down"), objectName="mapLayerDown")
        self.remove_button = QPushButton(self.tr("Remove"), objectName="removeMapLayer")
        self.add_button.clicked.connect(self.addRequested.emit)
        self.up_button.clicked.connect(lambda: self.move_current(+1))
        self.down_button.clicked.connect(lambda: self.move_current(-1))
        self.remove_button.clicked.connect(self.remove_current)
        self.status = QLabel(objectName="mapLayersStatus")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.up_button, self.down_button, self.remove_button):
            # the dock shares the left side with the layer panel: it must not widen the window
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            buttons.addWidget(b)
        self.opacity.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.rows.setMinimumSize(0, 0)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel(self.tr("Opacity")))
        opacity_row.addWidget(self.opacity, 1)
        opacity_row.addWidget(self.opacity_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.rows, 1)
        layout.addLayout(opacity_row)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self._show_current()

    # -- content -------------------------------------------------------------------------
    def layers(self) -> list[MapLayer]:
        """The layers, bottom first."""
        return list(self._layers)

    def set_layers(self, layers: list[MapLayer]) -> None:
        current = self.current_name()
        self._layers = list(layers)
        self._building = True
        self.rows.clear()
        for layer in reversed(self._layers):
            kind = {"xyz": self.tr("tiles"), "wmts": self.tr("tiles"), "raster": self.tr("raster"),
                    "vector": self.tr("vector")}[layer.kind]
            where = self.tr("under") if layer.position == "under" else self.tr("over")
            item = QListWidgetItem(f"{layer.name}  ({kind}, {where})")
            item.setData(NAME_ROLE, layer.name)
            item.setToolTip(layer.location)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if layer.visible
                               else Qt.CheckState.Unchecked)
            self.rows.addItem(item)
        self._building = False
        names = [la.name for la in self._layers]
        if current in names:
            self.select(current)
        elif self.rows.count():
            self.rows.setCurrentRow(0)
        self._show_current()

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def current_name(self) -> str | None:
        item = self.rows.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def select(self, name: str) -> None:
        for i in range(self.rows.count()):
            if self.rows.item(i).data(NAME_ROLE) == name:
                self.rows.setCurrentRow(i)

    def _index(self, name: str | None) -> int:
        return next((i for i, la in enumerate(self._layers) if la.name == name), -1)

    # -- edits ---------------------------------------------------------------------------
    def _edit(self, layers: list[MapLayer]) -> None:
        self.set_layers(layers)
        self.layersEdited.emit()

    def move_current(self, steps: int) -> None:
        """Move the current layer up (``+1``: drawn later) or down in the drawing order."""
        i = self._index(self.current_name())
        j = i + steps
        if i < 0 or not 0 <= j < len(self._layers):
            return
        layers = list(self._layers)
        layers[i], layers[j] = layers[j], layers[i]
        self._edit(layers)

    def remove_current(self) -> None:
        i = self._index(self.current_name())
        if i >= 0:
            self._edit(self._layers[:i] + self._layers[i + 1:])

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._building:
            return
        i = self._index(item.data(NAME_ROLE))
        visible = item.checkState() == Qt.CheckState.Checked
        if i >= 0 and self._layers[i].visible != visible:
            layers = list(self._layers)
            layers[i] = replace(layers[i], visible=visible)
            self._layers = layers
            self.layersEdited.emit()

    def _on_opacity(self, value: int) -> None:
        self.opacity_label.setText(f"{value} %")
        i = self._index(self.current_name())
        if self._building or i < 0 or round(self._layers[i].opacity * 100) == value:
            return
        layers = list(self._layers)
        layers[i] = replace(layers[i], opacity=value / 100)
        self._layers = layers
        self.layersEdited.emit()

    def _show_current(self, *_: object) -> None:
        i = self._index(self.current_name())
        for w in (self.opacity, self.up_button, self.down_button, self.remove_button):
            w.setEnabled(i >= 0)
        self._building = True
        self.opacity.setValue(round(self._layers[i].opacity * 100) if i >= 0 else 100)
        self._building = False
        self.opacity_label.setText(f"{self.opacity.value()} %")
