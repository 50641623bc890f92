"""Turn a read source layer into candidate assets: CRS, geometry and attribute values.

No project rows are touched here: each feature becomes zero or more :class:`Candidate`
(geometry in the project CRS, normalised values, source id) or a counted skip with its reason.
Matching against the project's existing assets is :mod:`importer_match`'s job.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.importing import area as iarea
from citymgr_desktop.core.importing import crs as icrs
from citymgr_desktop.core.importing import values as iv
from citymgr_desktop.core.importing.convert import Converter
from citymgr_desktop.core.importing.geometry import Conformed, conform, drop_zm, fits_as_is
from citymgr_desktop.core.importing.mapping import ImportMapping, editable_fields
from citymgr_desktop.core.importing.report import Example, ImportReport
from citymgr_desktop.core.importing.seen import SeenIds
from citymgr_desktop.core.importing.sources import SourceData, is_empty
from citymgr_desktop.core.messages import Message, Term, msg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.values import normalise
from citymgr_desktop.core.progress import Progress, ensure

SKIP_OUTSIDE = msg("outside the project CRS's area of use")
SWAPPED_LATLON = "latitude and longitude may be swapped: swapped, the point lies inside {area}"
# drivers whose feature ids are the source's own (stored) FIDs; the others' are the rows
# counted from 0, which the report shows counted from 1 (report.Example.render)
OWN_FIDS = frozenset({"GPKG", "OpenFileGDB", "FileGDB", "SQLite", "PostgreSQL", "MSSQLSpatial",
                      "OCI", "MySQL"})
SKIP_DUPLICATE = msg("duplicate source id in the source (the first one is imported)")
_AS_IT_IS = Conformed()  # a geometry that fits the layer as it is: one part, no notes


@dataclass
class Candidate:
    """One asset to insert or update: its values are those of the feature at ``row`` of
    its batch (:meth:`Prepared.values`)."""

    fid: Any
    source_id: str | None
    geom: Any
    row: int


@dataclass
class Prepared:
    table: sc.Table
    candidates: list[Candidate]
    report: ImportReport
    # the batch's values, a column per field and a value per feature (None: no value)
    columns: dict[str, list[Any]] = field(default_factory=dict)

    def values(self, candidate: Candidate) -> dict[str, Any]:
        """A candidate's non-empty values."""
        row = candidate.row
        return {f: column[row] for f, column in self.columns.items() if column[row] is not None}


def fid_prefix(path: str, layer: str) -> str:
    """What a feature id is prefixed with when no id field is mapped: the source's file name
    (and layer, when it is not named after the file), so ``fid:N`` of two files never match.
    A long name is shortened with a digest of the whole."""
    name = Path(path).name
    tag = name if layer in ("", Path(path).stem) else f"{name}/{layer}"
    if len(tag) > 60:
        tag = f"{tag[:40]}~{hashlib.sha1(tag.encode('utf-8')).hexdigest()[:8]}"
    return f"{tag}:fid:"


def source_id_text(value: Any) -> str | None:
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_constants(table: sc.Table, mapping: ImportMapping) -> dict[str, Any]:
    """Constants normalised to the field types; a bad one stops the import, naming it."""
    out: dict[str, Any] = {}
    for f, v in mapping.constants.items():
        domain = table.field(f).get_domain()
        if isinstance(domain, dm.CodedDomain) and not is_empty(v):
            code = iv.match_code(domain, v)
            v = v if code is None else code
        out[f] = normalise(table, f, v)
    for f, words in mapping.values.items():
        for word, code in words.items():
            if code is None or (isinstance(code, str) and not code.strip()):
                continue  # mapped to "leave empty" on purpose
            try:
                normalise(table, f, code)
            except ValidationError as exc:
                raise ValidationError("value map {field}: {word!r} -> {reason}",
                                      field=f, word=word, reason=exc) from None
    return out


class Preparer:
    """Prepares one import batch by batch: the mapping, constants, CRS plan, value memo and
    the source ids seen so far are decided once and carried from batch to batch.

    ``bounds`` (the whole layer's extent in the source CRS) stands in for the geometries
    where the plan needs all of them (no CRS stated, PROJ's area of interest); without it
    the first batch must be the whole layer. A streamed import calls :meth:`finish` at the
    end: it refuses data of which no feature lay inside the project CRS's area of use.
    """

    def __init__(self, first: SourceData, mapping: ImportMapping, project_crs: CRS,
                 report: ImportReport, bounds: np.ndarray | None = None,
                 streamed: bool = False) -> None:
        self.mapping, self.project_crs, self.report = mapping, project_crs, report
        self.table = table = mapping.target()
        self.streamed = streamed
        mapping.check([str(c) for c in first.attributes.columns])
        self.constants = check_constants(table, mapping)
        report.fields = {f: s for f, s in mapping.fields.items()}
        report.fields.update({f: f"= {v!r}" for f, v in self.constants.items()
                              if f not in mapping.fields})
        self.id_field = mapping.fields.get("source_id")
        self.fids_as = fid_prefix(first.layer.path, first.layer.name)
        report.fid_rows = first.layer.driver not in OWN_FIDS
        if self.id_field is None:
            report.warnings.append(msg(
                "no source id field is mapped: feature ids of this file are used ({prefix}N), "
                "which match again only when the same file and layer is imported again "
                "unchanged", prefix=self.fids_as))
        self.path = first.layer.path
        if bounds is not None:
            sample = shapely.multipoints([bounds[:2], bounds[2:]])
            self.extent = np.array([sample], dtype=object)
        else:
            self.extent = first.geometries
        self.src_crs, notes = icrs.resolve_source_crs(first.layer.crs, self.extent, self.path)
        area_sample, _ = drop_zm(self.extent)
        if first.gcj02:
            area_sample = iarea.from_gcj02(area_sample)
        self.tplan = icrs.plan_transform(self.src_crs, project_crs, mapping.accept_ballpark,
                                         area=icrs.lonlat_bounds(area_sample, self.src_crs),
                                         choice=mapping.transformation)
        self.notes = [*notes, *self.tplan.notes]
        self.layer_notes = list(first.layer.notes)
        self.conv = Converter(table, mapping, self.constants, report)
        self.seen = SeenIds()  # the source ids taken by the batches before
        self.area_words = ""
        self.area_notes: list[Message] = []
        self.any_present = self.any_inside = False
        self.label = Term(table.label("en").lower(), table.label("zh"))

    def batch(self, data: SourceData, progress: Progress | None = None) -> Prepared:
        """Candidates for every importable feature of ``data``; skips counted in the report."""
        prog = ensure(progress)
        table, mapping, report = self.table, self.mapping, self.report
        geoms, had_zm = drop_zm(data.geometries)
        if data.gcj02:
            geoms = iarea.from_gcj02(geoms)
        geoms, inside, area_notes, self.area_words = iarea.check_area(
            geoms, self.src_crs, self.project_crs, self.path, data.swap_xy_possible,
            refuse=not self.streamed, steps=self.tplan.steps)
        self.any_present |= bool(iarea.present(geoms).any())
        self.any_inside |= bool(inside.any())
        swapped_inside = self._inside_swapped(geoms, inside)
        geoms = icrs.reproject(geoms, self.tplan)
        more = [n for n in data.layer.notes if n not in self.layer_notes]  # GDAL's, later on
        self.layer_notes.extend(more)
        self.area_notes.extend(n for n in area_notes if n not in self.area_notes)
        self.report.crs = {"source": self.src_crs.name, "target": self.project_crs.name,
                           **self.tplan.to_report(),
                           "notes": [*self.notes, *self.area_notes, *self.layer_notes]}
        report.read += len(data)
        id_field, fids_as, conv = self.id_field, self.fids_as, self.conv
        candidates: list[Candidate] = []
        attributes = data.attributes.data
        fids = data.attributes.index
        outcomes = conv.columns(attributes)  # per mapped field, one per feature
        remarked = conv.remarked(outcomes)  # the features the converter has more to say on
        raw_ids = attributes[id_field] if id_field else None
        target = table.geometry_type or ""
        simple = fits_as_is(geoms, target).tolist()
        inside_at, zm_at = np.asarray(inside).tolist(), np.asarray(had_zm).tolist()
        max_sid = (table.field("source_id").max_length or 100) - 4
        problems, converted, prefix = data.problems, data.converted, mapping.id_prefix
        base_ids = [(v.strip() or None) if type(v) is str else source_id_text(v)
                    for v in raw_ids] if raw_ids is not None \
            else [f"{fids_as}{fid}" for fid in fids]
        sids = [f"{prefix}{b}" if b is not None else None for b in base_ids]
        seen = self.seen.earlier(s for s in sids if s is not None)
        taken: set[str] = set()  # by this batch
        # the usual feature: read, inside, its geometry as it is, no Z/M, values without a
        # remark, an id: nothing to say about it but a duplicate id
        usual = [a and b and not z for a, b, z in zip(inside_at, simple, zm_at, strict=True)]
        for i in remarked:
            usual[i] = False
        if problems or converted:
            for i, fid in enumerate(fids):
                if fid in problems or fid in converted:
                    usual[i] = False
        for i, fid in enumerate(fids):
            if i % 2000 == 0:
                prog.update(i, len(fids), msg("checking features"))
            sid = sids[i]
            if usual[i] and sid is not None and len(sid) <= max_sid:
                if sid in taken or sid in seen:
                    report.skipped.add(SKIP_DUPLICATE, Example(fid, sid))
                    continue
                taken.add(sid)
                candidates.append(Candidate(fid, sid, geoms[i], i))
                continue
            if fid in problems:
                report.skipped.add(problems[fid], Example(fid, sid))
                continue
            if not inside_at[i]:
                swapped = i in swapped_inside
                report.skipped.add(SKIP_OUTSIDE, Example(
                    fid, sid, msg(SWAPPED_LATLON, area=self.area_words) if swapped
                    else self.area_words))
                continue
            res = _AS_IT_IS if simple[i] else conform(geoms[i], target, mapping.geometry,
                                                      self.label)
            if res.reason:
                report.skipped.add(res.reason, Example(fid, sid, res.detail))
                continue
            if sid is not None and len(sid) > max_sid:
                report.skipped.add(msg("source id too long"), Example(fid, sid))
                continue
            if sid is not None and (sid in taken or sid in seen):
                report.skipped.add(SKIP_DUPLICATE, Example(fid, sid))
                continue
            if i in remarked:
                _, skip = conv.values(tuple(outs[i] for outs in outcomes), fid, sid)
                if skip:
                    report.skipped.add(skip, Example(fid, sid))
                    continue
            if sid is not None:
                taken.add(sid)
            else:
                report.notices.add(msg("no source id ({field} is empty): imported, but a later "
                                       "import adds it again", field=id_field), Example(fid, sid))
            if zm_at[i]:
                report.geometry.add(msg("Z/M values dropped"), Example(fid, sid))
            if fid in converted:
                report.geometry.add(converted[fid], Example(fid, sid))
            for note in res.notes:
                report.geometry.add(note, Example(fid, sid, res.detail))
            if res is _AS_IT_IS:  # the usual case: the source geometry as it is
                candidates.append(Candidate(fid, sid, geoms[i], i))
                continue
            if len(res.parts) == 1:
                candidates.append(Candidate(fid, sid, res.parts[0], i))
                continue
            for k, part in enumerate(res.parts, 1):
                part_id = f"{sid}#{k}" if sid is not None else sid
                candidates.append(Candidate(fid, part_id, part, i))
        prog.update(len(fids), len(fids), msg("checking features"))
        if self.streamed:
            self.seen.add(taken)
        prepared = Prepared(table, candidates, report, conv.value_columns(outcomes, len(fids)))
        _count_empty(table, prepared, report)
        return prepared

    def _inside_swapped(self, geoms: np.ndarray, inside: np.ndarray) -> set[int]:
        """The points outside the area of use that lie inside with X and Y swapped (a
        latitude written as the longitude): the report says so with the skip."""
        out = np.flatnonzero(~np.asarray(inside) & iarea.present(geoms))
        if not len(out) or not self.src_crs.is_geographic:
            return set()
        points = geoms[out]
        points = points[shapely.get_type_id(points) == 0]  # points only
        if not len(points):
            return set()
        at = out[shapely.get_type_id(geoms[out]) == 0]
        s_inside, _ = iarea.area_mask(iarea.swap_xy(points), self.src_crs, self.project_crs,
                                      self.tplan.steps)
        return {int(i) for i in at[np.asarray(s_inside)]}

    def finish(self) -> None:
        """After the last batch of a streamed import: no feature inside is a refusal."""
        self.seen.close()
        if self.streamed and self.any_present and not self.any_inside:
            raise iarea.outside_error(self.extent, self.src_crs, self.project_crs, self.path,
                                     self.area_words)


def prepare(data: SourceData, mapping: ImportMapping, project_crs: CRS,
            report: ImportReport, progress: Progress | None = None) -> Prepared:
    """Candidates for every importable feature of ``data`` (a whole layer); skips counted in
    ``report``."""
    return Preparer(data, mapping, project_crs, report).batch(data, progress)


def counted_empty(table: sc.Table) -> list[str]:
    """The fields whose empty values the report counts (codes and areas are made here)."""
    return [f for f in editable_fields(table) if f not in ("obj_code", "source_id", "area_m2")]


def _count_empty(table: sc.Table, prepared: Prepared, report: ImportReport) -> None:
    """Every candidate's empty fields, counted as left empty; an update that keeps the
    project's value is taken off again once matched (``match._update_deltas``)."""
    rows = [c.row for c in prepared.candidates]
    for f in counted_empty(table):
        column = prepared.columns.get(f)
        n = len(rows) if column is None else sum(1 for r in rows if column[r] is None)
        if n:
            report.empty[f] = report.empty.get(f, 0) + n
