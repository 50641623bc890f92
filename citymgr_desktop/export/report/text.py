"""The words of the charts, tables and monthly report in English or Simplified Chinese.

Charts and the report are drawn outside any widget (CLI, worker threads), so they cannot rely
on the UI's installed translator; they read ``resources/i18n/zh_CN/report.json`` (English
source -> Chinese), which the dashboard's ``tr()`` also gets through the merged catalogue.
Names of classes, states and record types come from the core's model.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.resources import translations_dir

LANGUAGES = ("en", "zh_CN")


def normalise_lang(lang: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-CN`` -> ``zh_CN``; ``en``, ``en_US`` -> ``en``."""
    key = (lang or "zh_CN").replace("-", "_").strip().lower()
    if key.startswith("zh"):
        return "zh_CN"
    if key.startswith("en"):
        return "en"
    raise ValidationError("language must be zh_CN or en, got {lang!r}", lang=lang)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    if normalise_lang(lang) == "en":
        return {}
    path = translations_dir("zh_CN") / "report.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def translator(lang: str) -> Callable[[str], str]:
    """``tr(text)`` for ``lang``; unknown texts stay English."""
    cat = catalogue(normalise_lang(lang))
    return lambda text: cat.get(text) or text


def core_lang(lang: str) -> str:
    return "zh" if normalise_lang(lang) == "zh_CN" else "en"


def layer_name(layer: str | None, lang: str) -> str:
    if layer is None:
        return translator(lang)("All classes")
    return sc.table(layer).label(core_lang(lang)) if layer in sc.ASSET_TABLES_BY_NAME else layer


def state_name(state: str | None, lang: str) -> str:
    if state is None:
        return "—"
    return dm.WORK_ORDER_STATE.label(state, core_lang(lang)) if \
        dm.WORK_ORDER_STATE.contains(state) else state


def record_type_name(kind: str | None, lang: str) -> str:
    if kind is None:
        return "—"
    return dm.RECORD_TYPE.label(kind, core_lang(lang)) if dm.RECORD_TYPE.contains(kind) \
        else kind


def district_name(district: str | None, lang: str) -> str:
    return district if district else translator(lang)("(no sub-district)")


def assignee_name(assignee: str | None, lang: str) -> str:
    return assignee if assignee else translator(lang)("(no disposal unit)")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
