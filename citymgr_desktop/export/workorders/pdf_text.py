"""The words printed on a work-order PDF, in Chinese (default) or English.

The PDF is made by the CLI as well as the app, so it cannot rely on Qt's translator being
installed: the Chinese lives here, next to the English source, and coded values use the
labels of the model's domains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from citymgr_desktop.core.model import domains as dm

ZH = {
    "City management work order": "城市管理工单",
    "Case No.": "案件编号",
    "Class": "类别",
    "mixed": "多类",
    "Priority": "紧急程度",
    "Deadline": "处置时限",
    "(overdue)": "（已超期）",
    "State": "状态",
    "Source": "案件来源",
    "Disposal unit": "处置单位",
    "Sub-district": "街道",
    "several": "多个街道",
    "not recorded": "未登记",
    "Reported": "上报时间",
    "Title": "标题",
    "(continued)": "（续）",
    "No.": "序号",
    "Object code": "部件编码",
    "Name": "名称",
    "Grid": "单元网格",
    "Condition": "技术状况",
    "Last record": "最近记录",
    "Assets": "工单资产",
    "Asset": "资产",
    "Date": "日期",
    "Type": "类型",
    "Crew": "作业班组",
    "Observation": "检查情况",
    "Work done": "处理措施",
    "Condition after": "处理后状况",
    "Recent maintenance: no records for these assets.": "最近养护记录：这些资产尚无记录。",
    "Recent maintenance (last records of each asset)": "最近养护记录（每处资产最近几条）",
    "When": "时间",
    "From": "原状态",
    "To": "新状态",
    "Who": "操作人",
    "Why": "意见",
    "Moves": "流转记录",
    "(last %1)": "（最近%1条）",
    "Work done / remarks (filled in by the crew)": "处置情况说明（作业班组填写）",
    "Crew (signature)": "处置人（作业班组）签字",
    "Checker (signature)": "核查人签字",
    "Checker": "核查人",
    "year": "年",
    "month": "月",
    "day": "日",
    "Page %1 of %2": "第 %1 页 / 共 %2 页",
    "Work orders": "工单",
    "Scale": "比例尺",
    "Map extract": "位置图",
    "assets of this order highlighted and numbered as in the table":
        "高亮编号为本工单资产（编号同资产表）",
    "N": "北",
    "Map not available: %1": "位置图不可用：%1",
    "no geometry": "资产无几何位置",
    "Latest photo of each asset": "各资产最新现场照片",
    "Photos: none of these assets has one.": "现场照片：这些资产尚无照片。",
}


def T(lang: str) -> Callable[[str], str]:
    """A translator for ``lang`` ("zh..." -> Chinese, anything else English)."""
    if lang.startswith("zh"):
        return lambda text: ZH.get(text, text)
    return lambda text: text


def coded(domain: str, value: Any, lang: str) -> str:
    """A stored code as the word a person reads ("" when empty)."""
    if value is None:
        return ""
    return dm.ALL_DOMAINS[domain].label(value, "zh" if lang.startswith("zh") else "en")  # type: ignore[union-attr]
