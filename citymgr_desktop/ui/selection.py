"""The selection: which assets (by ``asset_uuid``, or fid for foreign layers) are selected
in each layer, and the current layer. The one model the map, the layer panel, the attribute
table and every edit action read, so they always agree: clicking a layer row, choosing a
layer in the table or selecting features on the map all set it here.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal


class SelectionModel(QObject):
    """Selected keys per layer; ``changed(layer)`` after every change (``""`` = several).

    The current layer (``current_layer``, ``currentLayerChanged``) follows the selection:
    when it has nothing selected but another layer has, that layer becomes current (a bin
    clicked on the map makes the bins current, so its form and bulk edit work at once).
    """

    changed = Signal(str)
    currentLayerChanged = Signal(object)  # str or None
    drillDown = Signal(str, object)  # a figure's name, {layer: [keys]} (see show_figure)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sel: dict[str, dict[str, None]] = {}  # dict keeps the order of selection
        self.version = 0  # bumped on every change: cheap cache key for the canvas
        self.current_layer: str | None = None

    def set_current_layer(self, layer: str | None) -> None:
        """Make ``layer`` the current layer (None: no layer)."""
        if layer != self.current_layer:
            self.current_layer = layer
            self.currentLayerChanged.emit(layer)

    def _follow(self, layer: str) -> None:
        """Let the current layer follow a selection made elsewhere."""
        if self._sel.get(self.current_layer or ""):
            return
        chosen = [name for name, keys in self._sel.items() if keys]
        if chosen:
            self.set_current_layer(layer if layer in chosen else chosen[0])

    def selected(self, layer: str) -> list[str]:
        """The selected keys of ``layer`` in the order they were selected."""
        return list(self._sel.get(layer, ()))

    def all(self) -> dict[str, list[str]]:
        """Every layer with a selection -> its keys."""
        return {layer: list(keys) for layer, keys in self._sel.items() if keys}

    def count(self, layer: str | None = None) -> int:
        if layer is not None:
            return len(self._sel.get(layer, ()))
        return sum(len(keys) for keys in self._sel.values())

    def is_selected(self, layer: str, key: str) -> bool:
        return key in self._sel.get(layer, ())

    def set_selection(self, layer: str, uuids: Iterable[str], add: bool = False) -> None:
        """Select ``uuids`` in ``layer``; replaces that layer's selection unless ``add``."""
        keys = dict.fromkeys(str(u) for u in uuids)
        current = self._sel.get(layer, {})
        new = {**current, **keys} if add else keys
        if new == current and (add or list(new) == list(current)):
            return
        self._set(layer, new)

    def toggle(self, layer: str, uuids: Iterable[str]) -> None:
        """Add the keys that are not selected, remove those that are (Ctrl+click)."""
        current = dict(self._sel.get(layer, {}))
        for key in (str(u) for u in uuids):
            if key in current:
                del current[key]
            else:
                current[key] = None
        self._set(layer, current)

    def deselect(self, layer: str, uuids: Iterable[str]) -> None:
        current = dict(self._sel.get(layer, {}))
        gone = [k for k in (str(u) for u in uuids) if k in current]
        if gone:
            for k in gone:
                del current[k]
            self._set(layer, current)

    def replace_all(self, selection: dict[str, Iterable[str]]) -> None:
        """Make ``selection`` the whole selection (other layers are cleared); one signal."""
        new = {layer: dict.fromkeys(str(u) for u in keys) for layer, keys in selection.items()}
        new = {layer: keys for layer, keys in new.items() if keys}
        if new == {k: v for k, v in self._sel.items() if v}:
            return
        self._sel = new
        self.version += 1
        if new:
            self._follow(list(new)[-1])  # the last given: the top layer of a rectangle
        self.changed.emit("")

    def show_figure(self, selection: dict[str, Iterable[str]], name: str) -> None:
        """Select the assets behind a figure (a dashboard drill-down) and announce them with
        the figure's name (``drillDown``): the attribute table lists them under that name
        until the user clears it (docs/statistics.md)."""
        chosen = {layer: [str(k) for k in keys] for layer, keys in selection.items()}
        self.replace_all(chosen)
        self.drillDown.emit(name, chosen)

    def clear(self, layer: str | None = None) -> None:
        """Clear one layer's selection, or every layer's."""
        if layer is not None:
            if self._sel.get(layer):
                self._set(layer, {})
            return
        if any(self._sel.values()):
            self._sel = {}
            self.version += 1
            self.changed.emit("")

    def _set(self, layer: str, keys: dict[str, None]) -> None:
        if keys:
            self._sel[layer] = keys
        else:
            self._sel.pop(layer, None)
        self.version += 1
        self._follow(layer)
        self.changed.emit(layer)
