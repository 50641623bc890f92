"""Unsaved edits as a person counts them, per table and kind: "垃圾箱：修改 1；养护记录：新增 1"
(one inspection is a new record and its asset's new condition; a count of rows alone read
"2 edits" to the trial's engineer, who made one). One wording for the close and discard
questions, the offer to restore a crashed session's edits and the status after it.
"""

from __future__ import annotations

from citymgr_desktop.core.editing import Recovery
from citymgr_desktop.core.messages import sentences
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import DeltaSet
from citymgr_desktop.ui.i18n import label_language, language, tr

# assets first, then records, orders and the rest, as the schema lists them
TABLE_ORDER = {t.name: i for i, t in enumerate(sc.ALL_TABLES)}


def edits_text(deltas: DeltaSet) -> str:
    """``deltas`` named per table and kind: "Litter bins: 1 changed; Maintenance records:
    1 added" (in the interface's language)."""
    lang = label_language()
    kinds = {"insert": tr("%1 added"), "update": tr("%1 changed"), "delete": tr("%1 deleted")}
    parts = []
    for table, counts in sorted(deltas.counts().items(),
                                key=lambda item: TABLE_ORDER.get(item[0], len(TABLE_ORDER))):
        known = sc.TABLES_BY_NAME.get(table)
        name = known.label(lang) if known is not None else table
        done = [kinds[k].replace("%1", f"{n:,}") for k, n in counts.items() if n]
        if done:
            parts.append(tr("%1: %2").replace("%1", name).replace("%2", tr(", ").join(done)))
    return tr("; ").join(parts)


def recovery_text(recovery: Recovery, on_database: bool) -> str:
    """The offer to restore a crashed session's edits: what they are (:func:`edits_text` of
    what restoring them changes), when the last was made, what happened to them since."""
    edits, when = edits_text(recovery.restored()), when_text(recovery.when)
    if on_database:
        text = tr("Unsaved edits of this database were found (%1), last made at %2 (citymgr "
                  "did not close normally, or lost the connection).")
    else:
        text = tr("Unsaved edits of this file were found (%1), last made at %2 (citymgr did "
                  "not close normally).")
    paragraphs = [[text.replace("%1", edits).replace("%2", when)]]
    if recovery.conflicts and on_database:
        paragraphs.append([tr(
            "They were merged with the database as it is now. Other users saved %1 "
            "of these field(s) since: choose for each which value to keep. Nothing else "
            "is overwritten.").replace("%1", str(len(recovery.conflicts)))])
    elif recovery.conflicts:
        paragraphs.append([tr(
            "They were merged with the file as it is now. %1 field(s) were changed in "
            "the file since (by citymgr edit, QGIS or another copy of the app): choose "
            "for each which value to keep. Nothing else is overwritten.").replace(
            "%1", str(len(recovery.conflicts)))])
    elif on_database:
        paragraphs[0].append(tr("They were merged with the database as it is now: "
                                "nothing other users saved since conflicts with them."))
    else:
        paragraphs[0].append(tr("They were merged with the file as it is now; nothing saved "
                                "to the file since then conflicts with them."))
    if recovery.already_saved:
        already = tr("%1 of them are in the database already.") if on_database else \
            tr("%1 of them are in the file already.")
        paragraphs[-1].append(already.replace("%1", str(recovery.already_saved)))
    paragraphs.append([
        tr("If you do not restore them they are kept in your folder of recovery journals, "
           "ending in .discarded.") if on_database else
        tr("If you do not restore them they are kept in a file next to the project ending "
           "in .discarded.")])
    return "\n\n".join(sentences(p, language()) for p in paragraphs)


def when_text(stamp: str | None) -> str:
    """A journal's time as the person's clock shows it ("?" when unknown)."""
    from citymgr_desktop.core.clock import format_local

    return format_local(stamp) or "?"
