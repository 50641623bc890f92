"""Import profiles: a mapping and its source options saved as a small JSON or TOML file.

A profile is what a person settled on once (fields, constants, value words, layer, filter,
CRS, geometry choices) so the next delivery of the same data imports with one command. The
format follows the file suffix (``.toml``, else JSON); files are written to a temporary name
and renamed, so a failed save never leaves half a profile.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.errors import BadFileError, ValidationError
from citymgr_desktop.core.importing.mapping import ImportMapping
from citymgr_desktop.core.importing.sources import SourceOptions

FORMAT_KEY = "citymgr_import_profile"
FORMAT_VERSION = 1


def profile_dict(mapping: ImportMapping, options: SourceOptions) -> dict[str, Any]:
    return {FORMAT_KEY: FORMAT_VERSION, **mapping.to_dict(), "source": options.to_dict()}


def from_profile_dict(data: dict[str, Any]) -> tuple[ImportMapping, SourceOptions]:
    if not isinstance(data, dict) or FORMAT_KEY not in data:
        raise ValidationError("not an import profile (no {key} key)", key=FORMAT_KEY)
    if data[FORMAT_KEY] != FORMAT_VERSION:
        raise ValidationError("import profile version {version} is not supported (this version "
                              "reads {supported})",
                              version=data[FORMAT_KEY], supported=FORMAT_VERSION)
    if "target" not in data:
        raise ValidationError("the import profile names no target asset class ('target')")
    body = {k: v for k, v in data.items() if k not in (FORMAT_KEY, "source")}
    known = {"target", "fields", "constants", "values", "id_prefix", "on_unmatched",
             "on_conflict", "geometry", "accept_ballpark", "transformation"}
    unknown = set(body) - known
    if unknown:
        raise ValidationError("unknown key(s) in the import profile: {unknown}",
                              unknown=sorted(unknown))
    return ImportMapping.from_dict(body), SourceOptions.from_dict(dict(data.get("source", {})))


def load_profile(path: str | os.PathLike[str]) -> tuple[ImportMapping, SourceOptions]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadFileError("{path}: no such profile", path=p) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadFileError("{path}: cannot be read ({reason})", path=p, reason=exc) from None
    try:
        if p.suffix.lower() == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib  # type: ignore[no-redef]
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise BadFileError("{path}: not a valid {kind} profile ({reason})",
                           path=p, kind='TOML' if p.suffix == '.toml' else 'JSON',
                           reason=exc) from None
    return from_profile_dict(data)


def save_profile(path: str | os.PathLike[str], mapping: ImportMapping,
                 options: SourceOptions) -> Path:
    p = Path(path)
    data = profile_dict(mapping, options)
    text = to_toml(data) if p.suffix.lower() == ".toml" else \
        json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    try:
        with atomic_path(p) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadFileError("{path}: cannot be written ({reason})", path=p,
                           reason=exc.strerror) from None
    return p


def _toml_key(key: str) -> str:
    bare = key and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in key)
    return key if bare else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if value is None:
        return '""'  # TOML has no null; an empty code means "leave empty"
    return json.dumps(str(value), ensure_ascii=False)


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """TOML for nested dicts of scalars (all a profile holds)."""
    scalars = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in data.items()
               if not isinstance(v, dict)]
    lines = list(scalars)
    for k, v in data.items():
        if isinstance(v, dict):
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            body = to_toml(v, name)
            lines.append("")
            lines.append(f"[{name}]")
            if body:
                lines.append(body)
    return "\n".join(lines).strip("\n") + ("\n" if not prefix else "")
