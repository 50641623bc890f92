"""How the model describes a table: a field's type, a :class:`Field` (name, type, labels,
domain, form group) and a :class:`Table` (its fields, geometry, key). ``schema.py`` defines the
project's tables with them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from citymgr_desktop.core.messages import Term
from citymgr_desktop.core.model import domains as d


class FieldType(str, Enum):
    TEXT = "TEXT"
    INTEGER = "INTEGER"
    REAL = "REAL"
    DATE = "DATE"
    DATETIME = "DATETIME"
    BOOLEAN = "BOOLEAN"
    BLOB = "BLOB"


@dataclass(frozen=True)
class Field:
    """One attribute column."""

    name: str
    type: FieldType
    en: str
    zh: str
    domain: str | None = None
    required: bool = False
    max_length: int | None = None
    group: str = "general"
    system: bool = False  # maintained by the app (uuid, timestamps); not edited by hand
    unique: bool = False

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en

    @property
    def term(self) -> Term:
        """The name in both languages, as messages name it (rendered in the reader's)."""
        return Term(self.en, self.zh)

    def get_domain(self) -> d.Domain | None:
        return d.ALL_DOMAINS[self.domain] if self.domain else None


@dataclass(frozen=True)
class Table:
    """A table of the model: an asset layer (with geometry) or a plain attribute table."""

    name: str
    en: str
    zh: str
    fields: tuple[Field, ...]
    geometry_type: str | None = None  # GeoPackage geometry type name, None for attributes
    major_code: str | None = None  # obj_code major class (2 digits)
    minor_code: str | None = None  # obj_code minor class (2 digits)
    key: str = "asset_uuid"
    # a table without a uuid key whose rows are links (work order -> asset): deltas are
    # keyed by these fields joined with "/" (see :meth:`link_key`)
    link: tuple[str, ...] = ()

    @property
    def is_asset(self) -> bool:
        return self.geometry_type is not None

    def link_key(self, row: dict) -> str:
        """The delta key of a link row: its link fields joined with "/"."""
        return "/".join(str(row[f]) for f in self.link)

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en

    @property
    def term(self) -> Term:
        """The name in both languages, as messages name it (rendered in the reader's)."""
        return Term(self.en, self.zh)

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field:
        try:
            return self._by_name[name]  # called per value on import and save: a dict
        except KeyError:
            raise KeyError(f"{self.name} has no field {name!r}") from None

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]
