"""Checks of our GeoPackages by outside tools: GDAL's validator and real QGIS (PyQGIS).

Both run under Debian's system Python (``/usr/bin/python3``, packages ``python3-gdal`` and
``python3-qgis``), which is separate from the project's Python; a test that needs one skips
where it is missing (and fails instead under ``CITYMGR_REQUIRE_ALL=1``, see tests/tools.py).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest

from tests.tools import skip_missing

SYSTEM_PYTHON = "/usr/bin/python3"
VALIDATE_GPKG = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
_RESULT_MARK = "@@PYQGIS-RESULT@@ "

_PRELUDE = """\
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import *  # noqa: F403  (scripts use the QGIS names freely)
_app = QgsApplication([], False)  # noqa: F405
_app.initQgis()

def emit(obj):
    sys.stdout.write({mark!r} + json.dumps(obj, ensure_ascii=False, default=str) + "\\n")
    sys.stdout.flush()

"""
# Leave without QGIS's teardown, which can crash offscreen after the work is done.
_EPILOGUE = "\nsys.stdout.flush()\nsys.stderr.flush()\nos._exit(0)\n"

# PyQGIS report scripts for run_pyqgis. What QGIS makes of a layer: validity, geometry,
# features, style (categorised renderer, labels) and form configuration.
_LAYER_REPORT = """
def layer_report(vl):
    r = {"valid": vl.isValid(), "count": vl.featureCount(),
         "wkb": QgsWkbTypes.displayString(vl.wkbType())}
    if vl.isSpatial():
        ren = vl.renderer()
        r["renderer"] = ren.type()
        if ren.type() == "categorizedSymbol":
            r["attr"] = ren.classAttribute()
            r["categories"] = []
            for c in ren.categories():
                sl = c.symbol().symbolLayer(0)
                shape = sl.shape() if hasattr(sl, "shape") else None
                r["categories"].append({
                    "value": None if c.value() in (None, "") else str(c.value()),
                    "label": c.label(), "colour": c.symbol().color().name(),
                    "alpha": c.symbol().color().alpha(), "class": sl.layerType(),
                    "shape": None if shape is None else int(shape),
                    "size": sl.properties().get("size") or sl.properties().get("line_width")})
        r["labels"] = vl.labelsEnabled()
        if vl.labelsEnabled() and vl.labeling() is not None:
            s = vl.labeling().settings()
            r["label_field"] = s.fieldName
            r["label_placement"] = int(s.placement)
            r["label_min_scale"] = s.minimumScale
    fields = vl.fields()
    r["widgets"] = {f.name(): f.editorWidgetSetup().type() for f in fields}
    r["value_maps"] = {f.name(): [list(e.values())[0] for e in
                                  f.editorWidgetSetup().config().get("map", [])]
                       for f in fields if f.editorWidgetSetup().type() == "ValueMap"}
    r["ranges"] = {f.name(): [f.editorWidgetSetup().config().get("Min"),
                              f.editorWidgetSetup().config().get("Max")]
                   for f in fields if f.editorWidgetSetup().type() == "Range"}
    r["aliases"] = {f.name(): f.alias() for f in fields}
    r["defaults"] = {f.name(): vl.defaultValueDefinition(i).expression()
                     for i, f in enumerate(fields) if vl.defaultValueDefinition(i).isValid()}
    return r
"""

# argv: GeoPackage path, table names -> {table: layer report}
LAYERS_REPORT_SCRIPT = (
    _LAYER_REPORT
    + """
path = sys.argv[1]
emit({t: layer_report(QgsVectorLayer(f"{path}|layername={t}", t, "ogr")) for t in sys.argv[2:]})
"""
)

# argv: project (path of a .qgz/.qgs or "geopackage:...?projectName=..."), asset uuids ->
# {ok, crs, layers: {table: layer report + source}, relations: {id: ... related counts}, groups}
PROJECT_REPORT_SCRIPT = (
    _LAYER_REPORT
    + """
uri = sys.argv[1]
p = QgsProject.instance()
ok = p.read(uri)
layers = {}
for layer in p.mapLayers().values():
    rep = layer_report(layer)
    rep["source"] = layer.source()
    rep["table"] = layer.source().split("layername=")[-1]
    layers[rep["table"]] = rep
by_id = {l.id(): l.source().split("layername=")[-1] for l in p.mapLayers().values()}
rels = {}
for rel in p.relationManager().relations().values():
    parent = rel.referencedLayer()
    related = {}
    for uuid in sys.argv[2:]:
        feats = list(parent.getFeatures(QgsFeatureRequest(
            QgsExpression(f"\\"asset_uuid\\" = '{uuid}'")))) if parent.fields().indexOf(
            "asset_uuid") >= 0 else []
        if feats:
            related[uuid] = len(list(rel.getRelatedFeatures(feats[0])))
    rels[rel.id()] = {"valid": rel.isValid(), "child": by_id.get(rel.referencingLayerId()),
                      "parent": by_id.get(rel.referencedLayerId()),
                      "pairs": rel.fieldPairs(), "related": related}
emit({"ok": ok, "crs": p.crs().authid(), "layers": layers, "relations": rels,
      "groups": [n.name() for n in p.layerTreeRoot().children()]})
"""
)


def _system_env(tmp: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=tmp,
        QGIS_CUSTOM_CONFIG_PATH=tmp,
        PYTHONIOENCODING="utf-8",
        LC_ALL="C.UTF-8",
    )
    return env


@functools.cache
def qgis_available() -> bool:
    """True if the system Python can import PyQGIS."""
    if not Path(SYSTEM_PYTHON).exists():
        return False
    with tempfile.TemporaryDirectory() as tmp:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import qgis.core"],
            env=_system_env(tmp),
            capture_output=True,
            timeout=120,
        )
    return probe.returncode == 0


def assert_valid_gpkg(path: str | os.PathLike[str], *, extra: bool = True) -> None:
    """Fail unless GDAL's ``validate_gpkg.py`` passes ``path`` without a word.

    Runs with ``-k`` (report every problem), ``--warning-as-error`` and, unless ``extra`` is
    False, ``--extra`` (checks beyond the strict requirements). Skips where the system Python
    or the script is missing.
    """
    if not Path(SYSTEM_PYTHON).exists() or not Path(VALIDATE_GPKG).exists():
        skip_missing(f"GDAL's validator ({SYSTEM_PYTHON} and {VALIDATE_GPKG})", "python3-gdal")
    args = [SYSTEM_PYTHON, VALIDATE_GPKG, "-k", "--warning-as-error"]
    if extra:
        args.append("--extra")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [*args, os.fspath(path)],
            env=_system_env(tmp),
            capture_output=True,
            text=True,
            timeout=600,
        )
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or output:
        pytest.fail(f"validate_gpkg.py on {path} (exit {proc.returncode}):\n{output}")


def run_pyqgis(script: str, *args: object, timeout: float = 300) -> dict:
    """Run a PyQGIS script headless under the system Python and return its JSON result.

    The script runs after ``QgsApplication([], False)`` and ``initQgis()``; ``sys.argv[1:]``
    are ``args`` as strings. It reports with ``emit(obj)`` (the last call wins) or by
    printing one JSON document as its whole standard output. Skips where PyQGIS is missing.
    """
    if not qgis_available():
        skip_missing(f"PyQGIS (importable by {SYSTEM_PYTHON})", "python3-qgis")
    code = _PRELUDE.format(mark=_RESULT_MARK) + textwrap.dedent(script) + _EPILOGUE
    with tempfile.TemporaryDirectory() as tmp:
        script_path = Path(tmp) / "pyqgis_script.py"
        script_path.write_text(code, encoding="utf-8")
        proc = subprocess.run(
            [SYSTEM_PYTHON, str(script_path), *map(str, args)],
            env=_system_env(tmp),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
        )
    if proc.returncode != 0:
        pytest.fail(
            f"PyQGIS script failed (exit {proc.returncode}):\n"
            f"{proc.stderr[-4000:]}\n{proc.stdout[-2000:]}"
        )
    marked = [
        line[len(_RESULT_MARK) :]
        for line in proc.stdout.splitlines()
        if line.startswith(_RESULT_MARK)
    ]
    text = marked[-1] if marked else proc.stdout
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pytest.fail(f"PyQGIS script printed no JSON:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
