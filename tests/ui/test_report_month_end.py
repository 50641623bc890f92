"""Every figure of a month's report is of that month's end: assets imported after it are not
in its register, the next month's report shows them as the change; what cannot be dated is
said on the page. Through the CLI process, read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import subprocess

from citymgr_desktop.core.clock import office_today
from tests.core import import_sources as src
from tests.faults.support import run
from tests.tools import needs_poppler
from tests.ui.test_report import pages_text

pytestmark = needs_poppler



def _register(pdf) -> tuple[int, int, str]:
    """(this month, last month, change) of 台账资产数 on the cover, from the laid-out text."""
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    line = next(t for t in text.splitlines() if "台账资产数" in t)
    this, last, change = line.split()[1:4]
    return int(this.replace(",", "")), int(last.replace(",", "")), change


def test_assets_imported_this_month_are_not_in_last_months_report(district, tmp_path):
    today = office_today()
    this = today.strftime("%Y-%m")
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    run(["report", str(district), "--month", last, "--out", str(tmp_path / "a.pdf"),
         "--no-map"]).ok()
    before = _register(tmp_path / "a.pdf")[0]
    bins = src.shapefile_bins(tmp_path)
    run(["import", str(district), str(bins), "--as", "litter_bin"]).ok()  # five, no 建成日期

    run(["report", str(district), "--month", last, "--out", str(tmp_path / "last.pdf"),
         "--no-map"]).ok()
    run(["report", str(district), "--month", this, "--out", str(tmp_path / "this.pdf"),
         "--no-map"]).ok()
    assert _register(tmp_path / "last.pdf")[0] == before
    cover = pages_text(tmp_path / "last.pdf")[0]
    assert "另有5个资产未填建成日期且在月末之后写入，未计入本月台账" in cover
    raw = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(tmp_path / "last.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert "。另有 5 个资产" in raw.replace("\n", "")  # Chinese sentences join without a space
    now, previous, change = _register(tmp_path / "this.pdf")
    assert (now, previous, change) == (before + 5, before, "+5")
    assert "未计入本月台账" not in pages_text(tmp_path / "this.pdf")[0]


def test_a_past_months_charts_do_not_change_with_what_came_after(district, tmp_path):
    """Page 2 of last month's report (condition by class and by 街道, orders by state) is the
    same after assets are imported and an order is reported this month; the class chart's
    counts are the register at the month's end, as ``citymgr stats --to`` counts it."""
    import json

    today = office_today()
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    last = last_day.strftime("%Y-%m")

    def charts_text(name: str) -> str:
        run(["report", str(district), "--month", last, "--out", str(tmp_path / name),
             "--no-map"]).ok()
        return pages_text(tmp_path / name)[1]

    before = charts_text("before.pdf")
    run(["import", str(district), str(src.shapefile_bins(tmp_path)), "--as",
         "litter_bin"]).ok()
    run(["workorders", "create", str(district), "--layer", "litter_bin", "--where",
         "condition = 5", "--priority", "normal", "--title", "月后新报"]).ok()
    assert charts_text("after.pdf") == before
    counted = json.loads(run(["stats", str(district), "--by", "layer", "--to",
                              last_day.isoformat(), "--json"]).ok())
    bins = next(r["assets"] for r in counted if r["layer"] == "litter_bin")
    assert f"垃圾箱({bins:,})" in before


def test_hot_spot_caption_counts_open_cases_once(district, tmp_path):
    """The cells add up to more than the open orders (an order's assets lie in several
    cells); the caption's total is the orders, and says how the cells count."""
    from citymgr_desktop.core import stats
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.workorders.states import OPEN_STATES

    out = tmp_path / "map.pdf"
    run(["report", str(district), "--month", "2026-11", "--out", str(out)]).ok()
    run(["report", str(district), "--month", "2026-11", "--out", str(tmp_path / "en.pdf"),
         "--lang", "en"]).ok()
    states = sorted(s.value for s in OPEN_STATES)
    with Store.open(district, read_only=True) as store:
        grid = stats.hotspot_grid(store, "open_cases")
        orders = store.conn.execute(
            "SELECT count(DISTINCT o.work_order_uuid) FROM work_order o JOIN work_order_asset "
            f"l USING (work_order_uuid) WHERE o.state IN ({', '.join('?' * len(states))})",
            states).fetchone()[0]
    assert sum(grid.cells.values()) > orders == grid.total > 0
    text = "".join(pages_text(out))
    assert "热点分布·截至生成时" in text
    assert f"未结案件共{orders}件，涉及多个网格的案件在每个网格各计一次" in text
    assert f"合计{sum(grid.cells.values())}" not in text
    english = "".join(pages_text(tmp_path / "en.pdf"))
    assert f"{orders}opencasesinall;acasewithassetsinseveralcellscountsineach" in english
