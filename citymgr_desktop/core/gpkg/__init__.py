"""GeoPackage files at the SQLite level: connections with the GeoPackage SQL functions, our
schema's DDL, rtree and ``gpkg_contents`` bookkeeping, and geometry blobs.

Only the store and the packages below it (sync, import, sample) use this directly; views,
exporters and the command line go through :mod:`citymgr_desktop.core.store`.
"""

from citymgr_desktop.core.gpkg.connection import (
    IN_CHUNK,
    connect,
    exec_script,
    quote_ident,
    read_only_uri,
    select_in,
)
from citymgr_desktop.core.gpkg.tables import (
    APPLICATION_ID,
    NOW_SQL,
    RTREE_EXTENSION,
    SCHEMA_EXTENSION,
    STATS_INDEXES,
    USER_VERSION,
    add_columns,
    add_srs,
    create_attachment_indexes,
    create_indexes,
    create_integrity_triggers,
    create_missing_indexes,
    create_rtree,
    create_rtree_triggers,
    create_table,
    drop_rtree_triggers,
    expand_extent,
    fill_rtree,
    fill_rtree_from,
    init_geopackage,
    missing_indexes,
    rtree_name,
    srs_id_for,
    touch_contents,
    write_domains,
)

__all__ = [
    "APPLICATION_ID", "IN_CHUNK", "NOW_SQL", "RTREE_EXTENSION", "SCHEMA_EXTENSION", "STATS_INDEXES",
    "USER_VERSION",
    "add_columns", "add_srs", "connect", "create_attachment_indexes", "create_indexes",
    "create_integrity_triggers", "create_missing_indexes", "create_rtree",
    "create_rtree_triggers", "create_table", "drop_rtree_triggers", "exec_script",
    "expand_extent", "fill_rtree", "fill_rtree_from", "init_geopackage", "missing_indexes",
    "quote_ident", "read_only_uri", "rtree_name", "select_in",
    "srs_id_for", "touch_contents", "write_domains",
]
