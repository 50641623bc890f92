"""What the map's select and identify tools do in the window: features under a click (top
layer first), click selection (Shift adds, Ctrl toggles), rectangle selection in the current layer
(as QGIS selects in the active layer; Shift adds, Ctrl removes), identify results with length/area (of a
click, or of a feature located; its outline dropped when the selection moves on), zoom to
the selection. Window behaviour on the :class:`~citymgr_desktop.ui.shell.window.Window`
contract; the canvas only reports where the user clicked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from citymgr_desktop.render import layer_title
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.ui.shell.window import Window

HIT_TOLERANCE_PX = 5


def zoom_to_selection(w: Window) -> None:
    if w.map_data is None:
        return
    boxes = []
    for name, keys in w.selection.all().items():
        if name in w.map_data.names():
            layer = w.map_data.layer(name)
            ext = layer.extent_of(layer.indices_of(keys))
            if ext:
                boxes.append(ext)
    if not boxes:
        w.status(i18n.tr("Nothing is selected"))
        return
    # a margin, and a bin alone with its street around it (canvas.zoom_to_features)
    w.canvas.zoom_to_features(min(b[0] for b in boxes), min(b[1] for b in boxes),
                              max(b[2] for b in boxes), max(b[3] for b in boxes))


def hits_at(w: Window, x: float, y: float) -> list[tuple[str, str]]:
    """(layer, key) of the features under a map point, the top layer's first."""
    if w.map_data is None:
        return []
    tol = HIT_TOLERANCE_PX * w.canvas.view().units_per_pixel
    out = []
    for name in reversed(w.layer_panel.visible_layers()):
        layer = w.map_data.layer(name)
        out += [(name, layer.key(int(i))) for i in layer.hit(x, y, tol)]
    return out


def select_at(w: Window, x: float, y: float, mods: Qt.KeyboardModifier) -> None:
    hits = hits_at(w, x, y)
    if not hits:
        if not mods & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier):
            w.selection.clear()
        return
    layer, key = hits[0]
    if mods & Qt.KeyboardModifier.ControlModifier:
        w.selection.toggle(layer, [key])
    elif mods & Qt.KeyboardModifier.ShiftModifier:
        w.selection.set_selection(layer, [key], add=True)
    else:
        w.selection.replace_all({layer: [key]})


def select_rect(w: Window, extent: tuple, mods: Qt.KeyboardModifier) -> None:
    """Select the features of the current layer inside ``extent`` (as QGIS's select tool
    works on the active layer): replace its selection, Shift adds, Ctrl removes; other
    layers' selections are cleared unless a modifier is held. The status bar says how many
    of which layer."""
    if w.map_data is None:
        return
    name = w.current_layer()
    title = layer_title(name or "", i18n.label_language())
    if name is None or name not in w.map_data.names():
        w.status(i18n.tr("Choose the layer to select in (the layer panel or the attribute "
                         "table)"), 8000)
        return
    if name not in w.layer_panel.visible_layers():
        w.status(i18n.tr("The layer %1 is hidden: show it, or choose another layer to select in")
                 .replace("%1", title), 8000)
        return
    layer = w.map_data.layer(name)
    keys = [layer.key(int(i)) for i in layer.within(extent)]
    if mods & Qt.KeyboardModifier.ShiftModifier:
        w.selection.set_selection(name, keys, add=True)
    elif mods & Qt.KeyboardModifier.ControlModifier:
        w.selection.deselect(name, keys)
    else:
        w.selection.replace_all({name: keys})
    # which layer, and how many of it are selected now (as QGIS says "… selected on layer")
    w.status(i18n.tr("%1 selected in %2").replace("%1", f"{w.selection.count(name):,}")
             .replace("%2", title), 8000)


def identify(w: Window, x: float, y: float) -> None:
    identify_features(w, hits_at(w, x, y))


def identify_features(w: Window, hits: list[tuple[str, str]]) -> None:
    """Show ``hits`` (the first 20) in the identify panel, its dock brought forward: what a
    click of the identify tool does, and what locating a feature does (the locate box, a
    row of the attribute table: as QGIS's zoom to feature and identify)."""
    if w.store is None:
        return
    show_identified(w, hits[:20])
    dock = w.dock("identifyDock")
    if dock is not None:
        dock.show()
        dock.raise_()


def show_identified(w: Window, hits: list[tuple[str, str]],
                    current: tuple[str, str] | None = None) -> None:
    """Show ``hits`` in the identify panel (asset values through the edit session), with
    length or area; ``current`` (else the first one) is highlighted on the map."""
    if w.store is None or w.map_data is None:
        return
    hits = [(name, key) for name, key in hits if name in w.map_data.names()]
    measures = {}
    for name, key in hits:
        layer = w.map_data.layer(name)
        geom = layer.geometries(layer.indices_of([key]))
        if len(geom) and geom[0] is not None:
            g = geom[0]
            if g.length and not g.area:
                measures[(name, key)] = [(i18n.tr("Length (map units)"), f"{g.length:,.1f}")]
            elif g.area:
                measures[(name, key)] = [(i18n.tr("Area (map units²)"), f"{g.area:,.1f}")]
    session = w.edit_session
    w.identify_panel.show_features(w.store, hits, measures,
                                   session.rows if session is not None else None, current)


def refresh_identify(w: Window) -> None:
    """Show the identified features again (their values or place changed): the one the
    user looked at stays current, its outline drawn where it is now."""
    panel = w.identify_panel
    if panel.hits:
        outlined = bool(w.canvas.highlight)
        show_identified(w, [h for h in panel.hits
                            if w.map_data is not None and h[0] in w.map_data.names()],
                        panel.current_hit())
        if not outlined:  # the user selected something else meanwhile: it stays off
            w.canvas.set_highlight([])


def selection_changed(w: Window) -> None:
    """The identified feature's outline (the magenta ring a located asset gets) goes when
    the selection changes to something without it: it stayed on the old bin while other
    bins were selected. It comes back when that feature is selected again (a double-click
    in the identify panel), or at the next identify. QGIS's locator only flashes the
    feature it zooms to, and its identify highlight lasts while the results are shown; here
    the identify panel keeps its values, and panning keeps the outline."""
    hit = w.identify_panel.current_hit()
    if hit is None:
        return
    if not w.selection.is_selected(*hit):
        if w.canvas.highlight:
            w.canvas.set_highlight([])
    elif not w.canvas.highlight:
        highlight(w, *hit)


def highlight(w: Window, layer: str, key: str) -> None:
    """Outline one feature on the map (the identified one); "" clears the highlight."""
    if not layer or w.map_data is None or layer not in w.map_data.names():
        w.canvas.set_highlight([])
        return
    data = w.map_data.layer(layer)
    w.canvas.set_highlight(list(data.geometries(data.indices_of([key]))))
