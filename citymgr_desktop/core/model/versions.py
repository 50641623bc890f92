"""Schema versions: the columns each version of the model added to the tables of the
version before (``schema.SCHEMA_VERSION`` is the current one).

A version only appends nullable columns, so a file made before it stays a project: it gets
them the first time it is opened for writing and is read as if they were empty until then
(``core/store/upgrade.py``); a field package gets them when it is synced
(``core/sync/schema.py``).
"""

from __future__ import annotations

from citymgr_desktop.core.model.schema import ASSET_TABLES

ADDED_COLUMNS: dict[int, dict[str, tuple[str, ...]]] = {
    # 2: the photo fields (a path in a field package) and what an attachment says about a
    # photo: the asset it shows, its path in a package, the camera's time and position
    2: {**{t.name: ("photo",) for t in ASSET_TABLES}, "maintenance_record": ("photo",),
        "attachment": ("asset_uuid", "file_path", "taken_at", "gps_lon", "gps_lat")},
}


def added_columns() -> dict[str, tuple[str, ...]]:
    """Every column added after version 1, by table."""
    out: dict[str, tuple[str, ...]] = {}
    for version in sorted(ADDED_COLUMNS):
        for table_name, names in ADDED_COLUMNS[version].items():
            out[table_name] = out.get(table_name, ()) + names
    return out
