"""The charts of the dashboard and the monthly report, drawn with matplotlib into a
``Figure`` the caller owns: the dashboard's Qt canvas (QtAgg) shows it on screen, the report
turns it into SVG and paints it into its PDF (vector, with searchable text). One function per
chart; each returns the artists a click can pick with what is behind them (:class:`Pick`).

Text uses a Latin family first and the CJK family the app already found second (matplotlib
falls back glyph by glyph), so digits after Latin letters keep their Unicode in PDFs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)  # no window of matplotlib's own; the Qt canvas is ours
from matplotlib import font_manager
from matplotlib.figure import Figure

from citymgr_desktop.core.model.symbology import CONDITION_COLOURS
from citymgr_desktop.core.stats.assets import ConditionRow
from citymgr_desktop.core.stats.orders import EvaluationRow
from citymgr_desktop.core.stats.records import RecordRow
from citymgr_desktop.core.workorders.states import WorkOrderState
from citymgr_desktop.export.report.text import (
    assignee_name,
    district_name,
    layer_name,
    state_name,
    translator,
)

LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib
# The one family the report's SVG names; the page maps it to LATIN_FAMILY, then the app's CJK
# font (export/report/sheet.py). Qt's SVG renderer reads only the first family of a list and
# takes the missing glyphs from the system's fallback, often the Japanese face of a Noto CJK
# collection, where Hanzi have Japanese forms.
SVG_FAMILY = "citymgr chart"
STATE_ORDER = [s.value for s in WorkOrderState]
STATE_COLOURS = {"closed": "#2e7d32", "cancelled": "#9e9e9e", "resolved": "#66bb6a",
                 "checked": "#43a047", "rework": "#e53935", "returned": "#fb8c00",
                 "on_hold": "#8d6e63"}
OPEN_COLOUR = "#1565c0"
_fonts_ready: list[str] = []


@dataclass(frozen=True)
class Pick:
    """What a clicked part of a chart stands for: ``kind`` (condition, records, orders,
    evaluation) and the values that select its assets or orders."""

    kind: str
    values: dict[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.kind, tuple(sorted(self.values.items(), key=lambda kv: kv[0]))))


def chart_fonts() -> list[str]:
    """[Latin family, CJK family] for matplotlib, registering the CJK font file the renderer
    knows when matplotlib has not found one itself."""
    if _fonts_ready:
        return list(_fonts_ready)
    from citymgr_desktop.render.fonts import CJK_FAMILIES, font_files

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((f for f in CJK_FAMILIES if f in names), None)

    family = known()
    if family is None:
        for path in font_files():
            if path.is_file():
                try:
                    font_manager.fontManager.addfont(str(path))
                except (OSError, RuntimeError, ValueError):
                    continue
                family = known()
                if family:
                    break
    _fonts_ready[:] = [LATIN_FAMILY] + ([family] if family else [])
    matplotlib.rcParams["font.family"] = list(_fonts_ready)
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the report's PDF
    return list(_fonts_ready)


# Margins (share of the figure) for figures drawn without a layout engine: the dashboard's,
# where matplotlib's constrained layout would double the time of a refresh.
FIXED_MARGINS = {
    "layer": {"left": 0.13, "right": 0.98, "top": 0.88, "bottom": 0.17},
    "district": {"left": 0.17, "right": 0.98, "top": 0.9, "bottom": 0.3},
    "records": {"left": 0.1, "right": 0.89, "top": 0.88, "bottom": 0.2},
    "orders": {"left": 0.12, "right": 0.98, "top": 0.88, "bottom": 0.3},
    "evaluation": {"left": 0.25, "right": 0.97, "top": 0.9, "bottom": 0.12},
}


def new_figure(width_mm: float, height_mm: float, dpi: float = 100, *,
               fixed: bool = False) -> Figure:
    """A figure of that size, fonts set up; laid out by matplotlib's constrained layout
    (the report), or with the fixed margins of each chart (``fixed``: the dashboard)."""
    chart_fonts()
    return Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=dpi,
                  layout=None if fixed else "constrained")


def _reset(fig: Figure, chart: str = "layer") -> Any:
    chart_fonts()
    fig.clear()
    if fig.get_layout_engine() is None:
        fig.subplots_adjust(**FIXED_MARGINS[chart])
    return fig.add_subplot()


def _empty(ax: Any, lang: str) -> None:
    ax.text(0.5, 0.5, translator(lang)("No data for this period"), ha="center", va="center",
            transform=ax.transAxes, color="#777777")
    ax.set_axis_off()


def condition_chart(fig: Figure, rows: Sequence[ConditionRow], key: str, lang: str,
                    title: str | None = None) -> dict[Any, Pick]:
    """Stacked bars: assets per ``key`` (``layer`` or ``district``), split by condition 1-5
    and not assessed; sub-districts lie as horizontal bars, so their names stay level (and
    searchable in the report's PDF). The classes are shown as shares of each class (100 %
    bars, the count under the name): 60 bridges beside 2,400 bins would be a sliver on one
    count axis, and a section chief compares the classes' condition, not their sizes. A
    segment picks the assets of that group in that condition."""
    tr = translator(lang)
    ax = _reset(fig, key)
    ax.set_title(title or (tr("Condition by class") if key == "layer"
                           else tr("Condition by sub-district")), fontsize=10)
    if not rows or not any(r.assets for r in rows):
        _empty(ax, lang)
        return {}
    names = [layer_name(r.layer, lang) if key == "layer" else district_name(r.district, lang)
             for r in rows]
    x = list(range(len(rows)))
    bottom = [0] * len(rows)
    picks: dict[Any, Pick] = {}
    horizontal = key == "district"
    from citymgr_desktop.core.model.symbology import condition_categories

    share = not horizontal
    totals = [max(r.conditions[0] + sum(r.conditions[1:]) + r.not_assessed, 1) for r in rows]
    for value, label, _colour in condition_categories("zh" if lang.startswith("zh") else "en"):
        heights = [(r.conditions[value - 1] if value else r.not_assessed) for r in rows]
        if share:
            heights = [100 * h / t for h, t in zip(heights, totals, strict=True)]
        style = {"color": CONDITION_COLOURS[value], "label": label, "edgecolor": "white",
                 "linewidth": 0.4}
        bars = (ax.barh(x, heights, left=bottom, height=0.7, **style) if horizontal
                else ax.bar(x, heights, bottom=bottom, width=0.7, **style))
        for bar, row in zip(bars.patches, rows, strict=True):
            bar.set_picker(True)
            picks[bar] = Pick("condition", {key: getattr(row, key),
                                            "condition": value or 0})
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    if horizontal:
        ax.set_yticks(x, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(tr("Assets"), fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlim(0, max(bottom) * 1.05 or 1)
        fixed = fig.get_layout_engine() is None
        fig.legend(*ax.get_legend_handles_labels(), fontsize=7, frameon=False,
                   ncols=3 if fixed else 6, columnspacing=0.8, handlelength=1.2,
                   loc="lower center" if fixed else "outside lower center")
        if fixed:
            ax.set_gid("district")
            fit_district_margins(fig)
    else:
        ax.set_xticks(x, [f"{n.replace(' ', chr(10))}\n({r.assets:,})"
                          for n, r in zip(names, rows, strict=True)], fontsize=8)
        ax.set_ylabel(tr("Share of the class's assets (%)"), fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.legend(fontsize=7, ncols=3, loc="upper right", frameon=False, columnspacing=0.8,
                  handlelength=1.2)
        ax.set_ylim(0, 128)
        ax.set_yticks([0, 25, 50, 75, 100])
    ax.spines[["top", "right"]].set_visible(False)
    return picks


# The fixed-layout sub-district chart, in points: one row (bar and 8 pt name), the title
# above the bars, and under them the counts, the axis label and the legend's two rows.
_ROW_PT, _TOP_PT, _BOTTOM_PT = 12.0, 20.0, 64.0


def district_chart_height(n: int, dpi: float = 96) -> int:
    """Pixels the dashboard's sub-district chart needs for ``n`` sub-districts to keep their
    names apart (its canvas is never made lower)."""
    return round((max(n, 1) * _ROW_PT + _TOP_PT + _BOTTOM_PT) * dpi / 72)


_PAD_PX = 4.0  # room left between the outermost text and the canvas's edge


def fit_margins(fig: Figure) -> None:
    """Margins of a fixed-layout chart (the dashboard's) from the real extent of its text at
    the figure's size now - tick labels, axis labels, title and legend - so that nothing is
    cut at the canvas's edge when the dock is low or narrow; the sub-district chart keeps
    its own rule (:func:`fit_district_margins`). The report's charts are laid out by
    matplotlib and left alone."""
    if fig.get_layout_engine() is not None or not fig.axes:
        return
    if any(a.get_gid() == "district" for a in fig.axes):
        fit_district_margins(fig)
        return
    get_renderer = getattr(fig.canvas, "get_renderer", None)
    if get_renderer is None:
        return
    renderer = get_renderer()
    from matplotlib.transforms import Bbox

    shown = [a for a in fig.axes if a.get_visible() and a.axison]
    if not shown:
        return
    text = Bbox.union([a.get_tightbbox(renderer) for a in shown])
    area = Bbox.union([a.get_window_extent(renderer) for a in shown])
    width, height = fig.bbox.width, fig.bbox.height
    sub = fig.subplotpars
    # the text's overhang beyond the axes does not depend on the margins: one pass
    left = (area.x0 - text.x0 + _PAD_PX) / width
    right = 1 - (text.x1 - area.x1 + _PAD_PX) / width
    bottom = (area.y0 - text.y0 + _PAD_PX) / height
    top = 1 - (text.y1 - area.y1 + _PAD_PX) / height
    if right - left < 0.2:  # a canvas too narrow for its text: keep some plot
        left, right = sub.left, sub.right
    if top - bottom < 0.2:
        bottom, top = sub.bottom, sub.top
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)


def fit_district_margins(fig: Figure) -> None:
    """Margins of the fixed-layout sub-district chart from the size of its text, for the
    figure's size now (its canvas calls this again after a resize): the names' width on the
    left, the title on top, the counts, axis label and legend below."""
    ax = next((a for a in fig.axes if a.get_gid() == "district"), None)
    if ax is None:
        return
    from matplotlib.textpath import TextToPath

    px = fig.dpi / 72
    width, height = fig.bbox.width, fig.bbox.height
    n = len(ax.get_yticks())
    # below the needed height the margins keep their size; above it they grow with the rows
    base = min(height, district_chart_height(n, fig.dpi))
    measure = TextToPath()
    names = max((measure.get_text_width_height_descent(t.get_text(), t.get_fontproperties(),
                                                       ismath=False)[0]
                 for t in ax.get_yticklabels()), default=0.0)
    left = min((names + 8) * px / width, 0.6)
    fig.subplots_adjust(left=left, right=0.97, top=1 - _TOP_PT * px / base,
                        bottom=min(_BOTTOM_PT * px / base, 0.6))


def records_chart(fig: Figure, rows: Sequence[RecordRow], months: Sequence[str],
                  lang: str, running: str | None = None) -> dict[Any, Pick]:
    """Lines over the months: records (left axis) and their cost in 10,000 yuan (right axis).
    ``running``: the last month when it is still under way (the dashboard's "this month");
    its points are hollow, joined by a dashed line and its tick says "to date", so a month
    a week old does not read as a collapse. A point picks the assets with records in that
    month."""
    tr = translator(lang)
    ax = _reset(fig, "records")
    ax.set_title(tr("Maintenance records and cost per month"), fontsize=10)
    count = dict.fromkeys(months, 0)
    cost = dict.fromkeys(months, 0.0)
    for r in rows:
        if r.month in count:
            count[r.month] += r.records
            cost[r.month] += r.cost
    if not any(count.values()):  # as the other charts say it, not an empty 0-1 axis
        _empty(ax, lang)
        return {}
    x = list(range(len(months)))
    partial = bool(months) and running == months[-1]
    full = len(months) - 1 if partial else len(months)  # the months already over
    other = ax.twinx()
    picked = []
    for axes, values, colour, marker, name in (
            (ax, [count[m] for m in months], "#1565c0", "o", tr("Records")),
            (other, [cost[m] / 10_000 for m in months], "#e65100", "s",
             tr("Cost (10,000 yuan)"))):
        # every point is picked through a line of markers; the months over are joined by a
        # solid line, the running one by a dashed line to a hollow marker
        (points,) = axes.plot(x, values, linestyle="none", marker=marker, color=colour,
                              label=name, pickradius=6, markevery=list(range(full)))
        points.set_picker(True)
        axes.plot(x[:full], values[:full], color=colour)
        if partial:
            axes.plot(x[-2:], values[-2:], linestyle="--", color=colour, marker=marker,
                      markevery=[len(x[-2:]) - 1], markerfacecolor="white")
        axes.set_ylabel(name, fontsize=8, color=colour)
        axes.set_ylim(0, max(max(values, default=0) * 1.2, 1))
        picked.append(points)
    line, cost_line = picked
    ticks = [m[2:] for m in months]
    if partial:
        ticks[-1] = f"{ticks[-1]}\n{tr('to date')}"
    ax.set_xticks(x, ticks, rotation=45, fontsize=7)
    for a in (ax, other):
        a.tick_params(axis="y", labelsize=7)
        a.spines[["top"]].set_visible(False)
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], color=p.get_color(), marker=p.get_marker(),
                              label=p.get_label()) for p in picked],
              fontsize=7, loc="upper left", frameon=False)
    pick = Pick("records", {"months": list(months)})
    return {line: pick, cost_line: pick}


def orders_chart(fig: Figure, rows: Sequence[dict[str, Any]], lang: str,
                 on: dt.date | None = None) -> dict[Any, Pick]:
    """Bars: work orders in each state, in the order of the loop, now or on the day ``on``
    (at its end: a past period, ``DashboardFigures.orders_on``). A bar picks its orders."""
    tr = translator(lang)
    ax = _reset(fig, "orders")
    ax.set_title(tr("Work orders by state, now") if on is None else
                 tr("Work orders by state on {day}").format(day=on.isoformat()),
                 fontsize=10)
    counts = {r["state"]: r["orders"] for r in rows}
    states = [s for s in STATE_ORDER if counts.get(s)] + sorted(
        s for s in counts if s not in STATE_ORDER and counts[s])
    if not states:
        _empty(ax, lang)
        return {}
    bars = ax.bar(range(len(states)), [counts[s] for s in states],
                  color=[STATE_COLOURS.get(s, OPEN_COLOUR) for s in states], width=0.7)
    picks: dict[Any, Pick] = {}
    for bar, state in zip(bars.patches, states, strict=True):
        bar.set_picker(True)
        picks[bar] = Pick("orders", {"state": state})
    ax.bar_label(bars, fontsize=7, padding=1)
    ax.set_xticks(range(len(states)), [state_name(s, lang) for s in states],
                  rotation=30 if lang == "zh_CN" else 50, ha="right", fontsize=8,
                  rotation_mode="anchor")
    ax.set_ylabel(tr("Work orders"), fontsize=8)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylim(0, max(counts[s] for s in states) * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    return picks


def evaluation_chart(fig: Figure, rows: Sequence[EvaluationRow], lang: str
                     ) -> dict[Any, Pick]:
    """Horizontal bars per assignee: on-time rate and closure rate (%). A bar picks the
    assignee's orders due in the period."""
    tr = translator(lang)
    ax = _reset(fig, "evaluation")
    ax.set_title(tr("On-time and closure rate by disposal unit"), fontsize=10)
    rows = [r for r in rows if r.due]
    if not rows:
        _empty(ax, lang)
        return {}
    y = list(range(len(rows)))
    picks: dict[Any, Pick] = {}
    for offset, attr, colour, label in ((-0.2, "on_time_rate", "#1565c0", tr("On-time rate")),
                                        (0.2, "closure_rate", "#2e7d32", tr("Closure rate"))):
        values = [(getattr(r, attr) or 0) * 100 for r in rows]
        bars = ax.barh([v + offset for v in y], values, height=0.38, color=colour, label=label)
        for bar, row in zip(bars.patches, rows, strict=True):
            bar.set_picker(True)
            picks[bar] = Pick("evaluation", {"assignee": row.assignee, "figure": "due"})
        ax.bar_label(bars, fmt="%.0f%%", fontsize=6, padding=1)
    ax.set_yticks(y, [assignee_name(r.assignee, lang) for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 115)
    ax.set_xlabel("%", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return picks


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG with text kept as text (for QSvgRenderer into a PDF), its text in
    :data:`SVG_FAMILY`."""
    import io
    import re

    chart_fonts()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    return re.sub(rb"font-family:[^;\"]*", f"font-family: '{SVG_FAMILY}'".encode(),
                  buf.getvalue())
