"""The notes the app itself writes into a work order's history (``work_order_event.note``).

A note is data other programs read (QGIS, the CSV/XLSX/GeoJSON exports, older versions), so it
is stored as its English sentence; :func:`note_text` shows it in the reader's language by
finding the template again (:func:`citymgr_desktop.core.messages.parse`). A note a person
typed is shown as it was written. See docs/design-decisions.md, "Messages in two languages".
"""

from __future__ import annotations

import dataclasses

from citymgr_desktop.core.messages import Message, Term, msg, parse, render

CREATED = "created with {count} asset(s)"
CREATED_FROM_SELECTION = "created from the selection ({count} asset(s))"
CREATED_WHERE = "created for {count} asset(s) where {expression}"

UNIT_CHANGED_NOTE = "disposal unit {old} → {new}; {note}"
UNIT_CHANGED = "disposal unit {old} → {new}"
EXTENDED_DAYS = "deadline extended {old} → {new} (office time, {days} working day(s)): {reason}"
EXTENDED = "deadline extended {old} → {new} (office time): {reason}"  # earlier notes
# no disposal unit, before (an order dispatched without one) or after (the unit cleared)
NO_UNIT = Term("(none)", "（无）")
OLD_NO_UNIT = "–"  # how earlier notes said it

# the longer template first: parse takes the first that matches the whole note
SYSTEM_NOTES = (CREATED_FROM_SELECTION, CREATED_WHERE, CREATED, UNIT_CHANGED_NOTE,
                UNIT_CHANGED, EXTENDED_DAYS, EXTENDED)


def created(count: int) -> Message:
    """The note of a new order made without a word of why."""
    return msg(CREATED, count=count)


def created_from_selection(count: int) -> Message:
    """The note of an order made from the assets selected on the map."""
    return msg(CREATED_FROM_SELECTION, count=count)


def created_where(count: int, expression: str) -> Message:
    """The note of an order made for the assets an expression selects."""
    return msg(CREATED_WHERE, count=count, expression=expression)


def unit_changed(old: str | None, new: str | None, note: str | None) -> Message:
    """The note of a (re-)dispatch that changes the disposal unit (处置单位), with the
    typed note after it; a side without a unit (a unit cleared) says "(none)"."""
    units = {"old": old or NO_UNIT, "new": new or NO_UNIT}
    if note:
        return msg(UNIT_CHANGED_NOTE, **units, note=note)
    return msg(UNIT_CHANGED, **units)


def extended(old: str, new: str, reason: str, days: int) -> Message:
    """The note of an extension (延期): old and new deadline in office time, the working
    days it grants, and why."""
    return msg(EXTENDED_DAYS, old=old, new=new, days=days, reason=reason)


def note_text(note: str | None, lang: str) -> str:
    """A stored note as the reader sees it: the app's own notes in ``lang``, any other note
    as it was written."""
    if not note:
        return ""
    found = parse(note, SYSTEM_NOTES)
    if found is None:
        return note
    if found.template in (UNIT_CHANGED, UNIT_CHANGED_NOTE):
        found = dataclasses.replace(found, args={
            k: NO_UNIT if k in ("old", "new") and v in (str(NO_UNIT), OLD_NO_UNIT) else v
            for k, v in found.args.items()})
    return render(found, lang)
