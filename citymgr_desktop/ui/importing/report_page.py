"""Wizard page 4: the dry-run report and the map preview; Import runs the real thing.

Entering the page runs the dry run in the worker (nothing is written) and loads the project's
layers for the preview. The report says what will be inserted, updated, left unchanged and
skipped (per reason, with examples), which words matched no code and which fields stay empty.
Import runs the same plan as one transaction in the worker, with progress and Cancel.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWizardPage,
)

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.clock import format_local_or_text
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.importing import ImportReport, ImportResult, run_import
from citymgr_desktop.core.importing.area import SWAPPED_XY, swapped_note
from citymgr_desktop.core.importing.kept import value_text
from citymgr_desktop.core.importing.profile import save_profile
from citymgr_desktop.core.importing.report import transformation_text
from citymgr_desktop.core.messages import Message
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.neighbours import NEIGHBOUR_RADIUS
from citymgr_desktop.render import load_map
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.importing.preview_widget import ImportPreviewWidget
from citymgr_desktop.ui.importing.source_labels import crs_name_text
from citymgr_desktop.ui.importing.state import ImportHost
from citymgr_desktop.ui.worker import show_error

SETTINGS_PROFILE_DIR = "importer/profile_dir"


def dry_run_job(store: Any, path: str, mapping: Any, options: Any, data: Any,
                progress: Any = None) -> tuple[ImportResult, Any]:
    """Worker job: the dry run and the project's layers for the preview background."""
    result = run_import(store, path, mapping, options, dry_run=True, data=data,
                        progress=progress)
    return result, load_map(store, progress=progress)


def import_job(store: Any, path: str, mapping: Any, options: Any, data: Any, user: str,
               progress: Any = None) -> ImportResult:
    """Worker job: the import, one transaction."""
    return run_import(store, path, mapping, options, data=data, user=user, progress=progress)


def kept_html(r: ImportReport, label: Any, t: Any, limit: int = 200) -> list[str]:
    """What a re-delivery updates and keeps, per field, and the list of values the project
    keeps (or that both changed), as the report page shows them; ``t``: the page's tr."""
    e = html.escape
    out: list[str] = []
    for title, counts in ((t("Fields updated"), r.fields_updated),
                          (t("Project's values kept (changed in the project since the previous "
                             "delivery, which has not changed them)"), r.kept_edited),
                          (t("Changed both in the project and in the delivery since the "
                             "previous delivery"), r.conflicts)):
        if counts:
            out.append(f"<h4>{e(title)}</h4><ul>")
            out += [f"<li>{e(label(f))}: <b>{n:,}</b></li>" for f, n in counts.most_common()]
            out.append("</ul>")
    if r.kept:
        heads = (t("Object code"), t("Source id"), t("Field"), t("Project"), t("Delivery"),
                 t("Previous delivery"), t("Asset keeps"))
        out.append("<table border='1' cellspacing='0' cellpadding='2'><tr>"
                   + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr>")
        for k in r.kept[:limit]:
            keeps = t("project") if k.taken == "project" else t("delivery")
            cells = (k.obj_code, k.source_id, label(k.field), value_text(k.project),
                     value_text(k.delivery), value_text(k.previous), keeps)
            out.append("<tr>" + "".join(f"<td>{e(str(c) if c is not None else '')}</td>"
                                        for c in cells) + "</tr>")
        out.append("</table>")
        listed = min(len(r.kept), limit)
        total = r.kept_edited.total() + r.conflicts.total()
        if total > listed:
            more = t("… and %1 more: Save report… lists them")
            out.append(f"<p>{e(more.replace('%1', f'{total - listed:,}'))}</p>")
    return out


class ImportReportPage(QWizardPage):
    """Show what will happen; import on Finish."""

    def __init__(self, wizard: ImportHost) -> None:
        super().__init__()  # QWizard.setPage makes the wizard its parent
        self.wiz = wizard
        self.setTitle(self.tr("Check and import"))
        self.setSubTitle(self.tr("Nothing has been written yet. Import writes everything in "
                                 "one step, which Undo takes back."))
        self.text = QTextBrowser()
        self.text.setObjectName("import_report")
        self.preview = ImportPreviewWidget()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.text)
        split.addWidget(self.preview)
        split.setSizes([480, 420])
        save_profile_btn = QPushButton(self.tr("Save profile…"))
        save_profile_btn.clicked.connect(self.save_profile_dialog)
        save_report_btn = QPushButton(self.tr("Save report…"))
        save_report_btn.clicked.connect(self.save_report_dialog)
        # PROJ's transformations for the data's extent: the first is used unless one is picked
        self.transformation = QComboBox()
        self.transformation.setObjectName("import_transformation")
        self.transformation.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.transformation_label = QLabel(self.tr("Transformation:"))
        self.transformation.activated.connect(self._transformation_chosen)
        # a field both the project and the delivery changed: the project's value unless this
        self.prefer_delivery = QCheckBox(self.tr("Where both changed a value, take the "
                                                 "delivery's"))
        self.prefer_delivery.setObjectName("import_prefer_delivery")
        self.prefer_delivery.setVisible(False)
        self.prefer_delivery.toggled.connect(self._prefer_chosen)
        buttons = QHBoxLayout()
        buttons.addWidget(save_profile_btn)
        buttons.addWidget(save_report_btn)
        buttons.addWidget(self.prefer_delivery)
        buttons.addStretch(1)
        buttons.addWidget(self.transformation_label)
        buttons.addWidget(self.transformation)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)

    def initializePage(self) -> None:  # Qt override
        state = self.wiz.state
        self.text.setHtml(f"<p>{html.escape(self.tr('Checking every feature…'))}</p>")
        self.preview.set_data(None, [])
        if state.dry_run is not None:
            self._show(state.dry_run, state.background)
            return
        self.wiz.run(self.tr("Checking the import"), dry_run_job, self._dry_run_done,
                     self.wiz.store, state.path, state.mapping, state.options, state.data,
                     uses=self.wiz.store)

    def _dry_run_done(self, out: tuple[ImportResult, Any]) -> None:
        self.wiz.state.dry_run, self.wiz.state.background = out
        self._show(*out)
        self.completeChanged.emit()

    def _show(self, result: ImportResult, background: Any) -> None:
        self.text.setHtml(self.report_html(result.report))
        self.preview.set_data(background, result.outcomes)
        self._fill_transformations(result.report.crs)
        mapping = self.wiz.state.mapping
        prefer = mapping is not None and mapping.on_conflict == "delivery"
        self.prefer_delivery.blockSignals(True)
        self.prefer_delivery.setChecked(prefer)
        self.prefer_delivery.blockSignals(False)
        self.prefer_delivery.setVisible(prefer or bool(result.report.conflicts))

    def _prefer_chosen(self, checked: bool) -> None:
        state = self.wiz.state
        if state.mapping is None:
            return
        state.mapping.on_conflict = "delivery" if checked else "project"
        state.dry_run = None
        self.completeChanged.emit()
        self.initializePage()

    def _fill_transformations(self, crs: dict[str, Any]) -> None:
        """One entry per candidate transformation, the one used selected; hidden if only one."""
        entries = [{"choice": crs.get("choice", 1), "description": crs.get("transformation"),
                    "accuracy_m": crs.get("accuracy_m")}, *crs.get("alternatives", [])]
        entries.sort(key=lambda a: a["choice"])
        self.transformation.blockSignals(True)
        self.transformation.clear()
        for a in entries:
            acc = a.get("accuracy_m")
            words = (self.tr("%1 m").replace("%1", f"{acc:g}") if acc is not None
                     else self.tr("accuracy unknown"))
            plain = transformation_text(a["description"], i18n.language(), acc)
            self.transformation.addItem(f"{a['choice']}: {plain} ({words})", a["choice"])
            self.transformation.setItemData(self.transformation.count() - 1,
                                            str(a["description"]), Qt.ItemDataRole.ToolTipRole)
        self.transformation.setCurrentIndex(max(0, self.transformation.findData(
            crs.get("choice", 1))))
        self.transformation.blockSignals(False)
        shown = len(entries) > 1
        self.transformation.setVisible(shown)
        self.transformation_label.setVisible(shown)

    def _transformation_chosen(self, index: int) -> None:
        state = self.wiz.state
        choice = self.transformation.itemData(index)
        if state.mapping is None or choice == (state.mapping.transformation or 1):
            return
        state.mapping.transformation = None if choice == 1 else int(choice)
        state.dry_run = None
        self.completeChanged.emit()
        self.initializePage()

    # -- the report as a person reads it ------------------------------------------------------
    def report_html(self, r: ImportReport) -> str:
        e = html.escape
        t = self.tr
        table = sc.ASSET_TABLES_BY_NAME.get(r.target)

        def label(name: str) -> str:
            try:
                return f"{table.field(name).label(label_language())} ({name})" if table else name
            except KeyError:
                return name
        rows = [(t("Features read"), r.read), (t("New assets"), r.inserted),
                (t("Updated assets"), r.updated), (t("Unchanged"), r.unchanged),
                (t("Skipped"), r.skipped_count)]
        out = [f"<h3>{e(Path(r.source).name)} [{e(r.layer)}] → {e(r.target)}</h3><table>"]
        out += [f"<tr><td>{e(k)}</td><td align='right'><b>{v:,}</b></td></tr>" for k, v in rows]
        out.append("</table>")
        # warnings first, where they are seen without scrolling (街道 not in the project, …)
        out += [f"<p style='color:#a15c00'>⚠ {e(i18n.render(w))}</p>" for w in r.warnings]
        state = self.wiz.state
        if state.remembered and state.profile is not None:
            said = t("Fields and value words as at the previous import of this source (%1).")
            when = format_local_or_text(state.remembered)
            out.append(f"<p>{e(said.replace('%1', when))}</p>")
        out += kept_html(r, label, t)
        if r.obj_codes:
            out.append(f"<p>{e(t('New object codes'))}: {r.obj_codes[0]} … {r.obj_codes[1]}</p>")
        for title, tally in ((t("Skipped"), r.skipped), (t("Geometry"), r.geometry),
                             (t("Notices"), r.notices)):
            if tally:
                out.append(f"<h4>{e(title)}</h4><ul>")
                for key, n in tally.counts.most_common():
                    ex = "; ".join(x.render(i18n.language(), r.fid_rows)
                                   for x in tally.examples.get(key, [])[:3])
                    out.append(f"<li><b>{n:,}</b> × {e(i18n.render(key))}<br><small>{e(ex)}"
                               "</small></li>")
                out.append("</ul>")
        if r.unmatched:
            out.append(f"<h4>{e(t('Words that match no code (left empty)'))}</h4><ul>")
            for f, counter in r.unmatched.items():
                words = ", ".join(f"{e(w)} ×{n}" for w, n in counter.most_common(15))
                out.append(f"<li><b>{e(label(f))}</b>: {words}</li>")
            out.append("</ul>")
        if r.invalid:
            out.append(f"<h4>{e(t('Invalid values (left empty)'))}</h4><ul>")
            for f, tally in r.invalid.items():
                for key, n in tally.counts.most_common():
                    out.append(f"<li><b>{e(label(f))}</b>: {n:,} × {e(i18n.render(key))}</li>")
            out.append("</ul>")
        if r.empty:
            out.append(f"<h4>{e(t('Left empty'))}</h4><ul>")
            for f, n in r.empty.items():
                why = f" ({t('not assessed')})" if f == "condition" else ""
                out.append(f"<li>{e(label(f))}: {n:,}{e(why)}</li>")
            out.append("</ul>")
        if r.filled:  # the 街道/单元网格 the source left empty (core/importing/location.py)
            title = t("Filled from the nearest asset (within %1 m)")
            out.append(f"<h4>{e(title.replace('%1', f'{NEIGHBOUR_RADIUS:g}'))}</h4><ul>")
            out += [f"<li>{e(label(f))}: {n:,}</li>" for f, n in r.filled.items()] + ["</ul>"]
        if r.crs:
            notes = "".join(f"<li>{e(i18n.render(self._in_wizard_words(n)))}</li>"
                            for n in r.crs.get("notes", []))
            acc = r.crs.get("accuracy_m")
            accuracy = (f" ({e(t('accuracy %1 m').replace('%1', f'{acc:g}'))})"
                        if acc is not None else "")
            proj = str(r.crs.get("transformation"))
            plain = transformation_text(proj, i18n.language(), acc)
            out.append(f"<h4>{e(t('Coordinates'))}</h4><p>{e(crs_name_text(r.crs.get('source')))}"
                       f" → {e(crs_name_text(r.crs.get('target')))}<br><small>"
                       f"{e(plain)}{accuracy}</small>"
                       + (f"<br><small style='color:#777'>PROJ: {e(proj)}</small>" if plain != proj
                          else "") + "</p>"
                       f"<ul>{notes}</ul>")
        return "".join(out)

    def _in_wizard_words(self, note: Any) -> Any:
        """A note that names the command line's options, with the wizard's fields instead
        (the swapped X/Y columns are chosen under Table columns on the first page)."""
        if isinstance(note, Message) and note.template == SWAPPED_XY:
            return swapped_note(self.tr("the X and Y fields of Table columns on the first "
                                        "page"))
        return note

    # -- saving --------------------------------------------------------------------------------
    def save_profile_dialog(self) -> None:
        start = str(QSettings().value(SETTINGS_PROFILE_DIR, str(Path.home())))
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save import profile"),
                                              str(Path(start) / "import-profile.toml"),
                                              self.tr("Import profiles (*.toml *.json)"))
        if path:
            self.save_profile(path)

    def save_profile(self, path: str) -> bool:
        state = self.wiz.state
        try:
            assert state.mapping is not None
            save_profile(path, state.mapping, state.options)
        except CitymgrError as exc:
            show_error(self, self.tr("Save profile"), exc)
            return False
        QSettings().setValue(SETTINGS_PROFILE_DIR, str(Path(path).parent))
        return True

    def save_report_dialog(self) -> None:
        result = self.wiz.state.result or self.wiz.state.dry_run
        if result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save report"), "import-report.json",
                                              self.tr("JSON (*.json)"))
        if not path:
            return
        try:  # the one writer: whole or not at all, through a link, never over a device
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(result.report.to_dict(), ensure_ascii=False,
                                          indent=2, default=str), encoding="utf-8")
        except CitymgrError as exc:
            show_error(self, self.tr("Save report"), exc)

    # -- importing -----------------------------------------------------------------------------
    def isComplete(self) -> bool:  # Qt override
        return self.wiz.state.dry_run is not None

    def validatePage(self) -> bool:  # Qt override
        state = self.wiz.state
        if state.result is not None:
            return True
        if state.dry_run is None:
            return False
        self.wiz.run(self.tr("Importing"), import_job, self.wiz.finish_with, self.wiz.store,
                     state.path, state.mapping, state.options, state.data, self.wiz.user(),
                     uses=self.wiz.store)
        return False
