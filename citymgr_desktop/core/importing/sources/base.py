"""What every import source gives: how to read it (options), what a layer holds (its
fields, geometry type, CRS) and the data read from it (attributes as plain :class:`Columns`,
no pandas: an import of a GDAL source never loads it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import CRS

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import Text

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class SourceOptions:
    """How to read a source: which layer, a filter, and hints GDAL cannot guess."""

    layer: str | None = None
    where: str | None = None  # an attribute filter in OGR SQL, e.g. "highway IS NOT NULL"
    encoding: str | None = None  # attribute encoding override (Shapefile, CSV)
    source_crs: str | None = None  # CRS override, for sources without (or with a wrong) CRS
    x_field: str | None = None  # tables: coordinate columns, else detected by name
    y_field: str | None = None
    wkt_field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceOptions:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValidationError("unknown source option(s) {unknown}; known: {known}",
                                  unknown=sorted(unknown), known=sorted(known))
        return cls(**data)


@dataclass
class SourceField:
    """One attribute of a source layer, as shown before mapping."""

    name: str
    dtype: str  # text, integer, real, date, datetime, boolean, other
    samples: list[Any] = field(default_factory=list)
    empty: int = 0
    distinct: int = 0  # distinct non-empty values among the rows sampled
    present: int = 0  # non-empty values among the rows sampled

    @property
    def mostly_unique(self) -> bool:
        """Distinct enough to be an id (a stray duplicate is reported at import)."""
        return self.present > 0 and self.distinct >= 0.8 * self.present


@dataclass
class SourceLayer:
    """What a layer holds: name, geometry type, CRS, count and fields."""

    path: str
    name: str
    driver: str
    geometry_type: str | None
    count: int
    crs: CRS | None
    encoding: str | None = None
    fields: list[SourceField] = field(default_factory=list)
    extent: tuple[float, float, float, float] | None = None
    notes: list[Text] = field(default_factory=list)

    @property
    def crs_name(self) -> str:
        return self.crs.name if self.crs is not None else "(none)"

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


class Columns:
    """A layer's attributes: each field's values as a list of plain Python values (None for
    no value), and ``index`` the features' ids; read like the few DataFrame spellings the
    import uses (``columns``, ``index``, ``attributes[name]``, ``len``, names in order)."""

    def __init__(self, data: dict[str, list[Any]], index: list[Any]) -> None:
        self.data, self.index = data, index

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Columns:
        """A frame's columns as lists (a NumPy scalar made plain, NaN/NaT made None)."""
        data = {}
        for i, name in enumerate(frame.columns):
            values = frame.iloc[:, i].tolist()
            data[str(name)] = [None if _missing(v) else v.item() if isinstance(v, np.generic)
                               else v for v in values]
        return cls(data, list(frame.index))

    @property
    def columns(self) -> list[str]:
        return list(self.data)

    def __getitem__(self, name: str) -> list[Any]:
        return self.data[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.index)


def _missing(value: Any) -> bool:
    """None, NaN or NaT: what pandas calls missing (``notna`` false)."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ in ("NaTType", "NAType")


@dataclass
class SourceData:
    """A layer read for import: attributes, geometries and per-feature read problems."""

    layer: SourceLayer
    attributes: Columns  # one row per feature, index = the source's feature id
    geometries: np.ndarray  # Shapely geometries or None, aligned with ``attributes``
    problems: dict[Any, Text] = field(default_factory=dict)  # fid -> why no geometry
    converted: dict[Any, Text] = field(default_factory=dict)  # fid -> what was done on read
    swap_xy_possible: bool = False  # tables: X/Y might follow the survey convention
    gcj02: bool = False  # lon/lat in GCJ-02 (Chinese web maps), to be turned into WGS 84

    def __len__(self) -> int:
        return len(self.attributes)
