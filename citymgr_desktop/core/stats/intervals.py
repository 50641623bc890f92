"""How often each class of asset must be inspected (巡查/检测 interval), as data.

The defaults below follow the usual municipal practice (roads: the yearly pavement survey
of CJJ 36; bridges: the regular inspection of CJJ 99, at least yearly; green spaces and
litter bins: a quarterly round); a bureau sets its own in the file, ``citymgr_meta`` key
``inspection_intervals`` = ``{"litter_bin": 30, ...}`` (days), which wins class by class.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import schema as sc

if TYPE_CHECKING:
    from citymgr_desktop.core.store import ProjectStore as Store

META_KEY = "inspection_intervals"
DEFAULT_INSPECTION_DAYS: Mapping[str, int] = {
    "road_segment": 365,
    "bridge": 365,
    "green_space": 90,
    "litter_bin": 90,
}


def check_intervals(values: Mapping[str, object]) -> dict[str, int]:
    """``{class: days}`` with known classes and whole days of 1-3660; else a one-line error."""
    out: dict[str, int] = {}
    for name, days in values.items():
        if name not in sc.ASSET_TABLES_BY_NAME:
            raise ValidationError("inspection interval for {name!r}: not an asset class",
                                  name=name)
        if isinstance(days, bool) or not isinstance(days, int | float) or \
                not 1 <= days <= 3660 or int(days) != days:
            raise ValidationError("inspection interval of {name}: {days!r} is not a whole "
                                  "number of days between 1 and 3660", name=name, days=days)
        out[name] = int(days)
    return out


def inspection_intervals(store: Store) -> dict[str, int]:
    """Days between inspections per asset class: the file's own values over the defaults
    (an unreadable value in the file is an error, not silently the default)."""
    out = dict(DEFAULT_INSPECTION_DAYS)
    text = store.meta(META_KEY)
    if text:
        try:
            values = json.loads(text)
        except ValueError:
            raise ValidationError("citymgr_meta {key} is not JSON: {text!r}",
                                  key=META_KEY, text=text) from None
        if not isinstance(values, dict):
            raise ValidationError("citymgr_meta {key} must be a JSON object of days per "
                                  "class", key=META_KEY)
        out.update(check_intervals(values))
    return out


def set_inspection_intervals(store: Store, values: Mapping[str, object]) -> dict[str, int]:
    """Store the file's own intervals (merged over what it had); returns the result."""
    own = {}
    text = store.meta(META_KEY)
    if text:
        own = check_intervals(json.loads(text))
    own.update(check_intervals(values))
    store.set_meta(META_KEY, json.dumps(own, sort_keys=True))
    return inspection_intervals(store)
