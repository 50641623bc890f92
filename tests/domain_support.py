"""A coded domain as an earlier schema wrote it, for the tests of files and databases made
before it gained codes."""

from __future__ import annotations

from citymgr_desktop.core.model import domains as dm

# work_order_source as the schema before 12319 wrote it
OLD_SOURCE = dm.CodedDomain("work_order_source", "Source", "案件来源", (
    dm.Code("patrol", "Patrol inspection", "巡查发现"),
    dm.Code("supervisor", "Supervisor report", "监督员上报"),
    dm.Code("hotline", "12345 hotline", "12345热线"),
    dm.Code("public", "Public report", "公众举报"),
    dm.Code("assigned", "Assigned from above", "上级交办"),
))
