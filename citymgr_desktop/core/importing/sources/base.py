"""What every import source gives: how to read it (options), what a layer holds (its
fields, geometry type, CRS) and the data read from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import Text


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


@dataclass
class SourceData:
    """A layer read for import: attributes, geometries and per-feature read problems."""

    layer: SourceLayer
    attributes: pd.DataFrame  # one row per feature, index = the source's feature id
    geometries: np.ndarray  # Shapely geometries or None, aligned with ``attributes``
    problems: dict[Any, Text] = field(default_factory=dict)  # fid -> why no geometry
    converted: dict[Any, Text] = field(default_factory=dict)  # fid -> what was done on read
    swap_xy_possible: bool = False  # tables: X/Y might follow the survey convention
    gcj02: bool = False  # lon/lat in GCJ-02 (Chinese web maps), to be turned into WGS 84

    def __len__(self) -> int:
        return len(self.attributes)
