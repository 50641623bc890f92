"""How the wizard names what a source file holds: its geometry type ("Point" → 点) and its
coordinate system (a Chinese name where one is known, else "not stated in the file"), in the
interface language."""

from __future__ import annotations

from citymgr_desktop.core.importing.geometry_names import geometry_type_name
from citymgr_desktop.core.model.crs_names import NamedCrs, chinese_name, crs_label
from citymgr_desktop.ui import i18n


def geometry_type_label(gtype: str | None) -> str:
    """"points", "3D lines" …, or "no geometry" in the interface language: the words
    ``citymgr import --list`` prints (``core/importing/geometry_names.py``)."""
    return i18n.render(geometry_type_name(gtype))


def crs_text(crs: NamedCrs | None) -> str:
    """The source's CRS as a person reads it, or "not stated in the file"."""
    if crs is None:
        return i18n.tr("not stated in the file")
    return crs_label(crs, i18n.label_language())


def crs_name_text(name: object) -> str:
    """A CRS named by PROJ ("CGCS2000 / 3-degree Gauss-Kruger CM 114E") in the interface
    language: its Chinese name where one is known (``core/model/crs_names.py``)."""
    text = str(name)
    if i18n.label_language() == "zh":
        return chinese_name(text) or text
    return text
