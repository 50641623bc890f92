"""Sub-commands of ``citymgr``, one module each with ``register(subparsers)``; the list of
commands below is what ``citymgr --help`` shows without importing any of them.

A new command is a module here and one line in :data:`COMMANDS` (its name, its module and
the summary ``citymgr --help`` prints, the same as the ``help=`` of its ``add_parser``);
``tests/ui/test_cli_start.py`` fails when the two disagree.
"""

from __future__ import annotations

# name -> (module that registers it, summary in ``citymgr --help``), in the help's order
COMMANDS: dict[str, tuple[str, str]] = {
    "new": ("new", "create an empty project file"),
    "info": ("info", "describe a GeoPackage: layers, counts, CRS, extent, domains"),
    "locate": ("locate", "find assets by code, name or source id (prints uuid, code and 街道)"),
    "validate": ("validate", "check a project file (exit 0 when valid)"),
    "sample": ("sample", "generate a synthetic sample district"),
    "edit": ("edit", "set fields of the assets an expression selects (one transaction)"),
    "import": ("import_", "import a vector source (Shapefile, GeoJSON, GPKG, CSV, KML, ...)"),
    "render": ("render", "draw the map of a GeoPackage to a PNG (offscreen)"),
    "layers": ("layers", "base maps and reference layers kept in a project"),
    "field-package": ("field_package",
                      "write a field package (GeoPackage + .qgz) for QField/QGIS"),
    "print-map": ("print_map", "print a true-scale maintenance map or an atlas to PDF/PNG"),
    "workorders": ("workorders", "work orders (工单): create, move, list, export"),
    "history": ("history", "maintenance history: add and list records"),
    "sync": ("sync", "merge a field package back into the master (three-way)"),
    "sync-undo": ("sync", "undo a sync (restores the master as it was)"),
    "sync-resolve": ("sync", "resolve open sync conflicts"),
    "sync-list": ("sync", "field packages, syncs and open conflicts"),
    "stats": ("stats", "figures: condition by class/街道/grid, records and cost, work orders, "
              "the evaluation per disposal unit, inspection coverage"),
    "report": ("report", "the monthly report (月报) as a PDF"),
    "export": ("export", "export an asset layer to GeoJSON, GeoPackage, CSV or XLSX"),
    "publish": ("publish", "publish a project file into a PostGIS database (idempotent by uuid)"),
    "snapshot": ("publish", "write an offline GeoPackage copy of a PostGIS database"),
    "db": ("db", "administer a PostGIS project database (grant)"),
    "completion": ("completion", "print a shell completion script (bash or zsh)"),
}

# commands that read every command's parser (the completion script lists them all)
READS_EVERY_COMMAND = frozenset({"completion"})
