"""Maintenance history of assets: records (inspection, repair, cleaning, …) and attachments,
planned as deltas and applied in one transaction (``from citymgr_desktop.core import history``).
"""

from citymgr_desktop.core.history.records import (
    EDITABLE,
    MAX_ATTACHMENT_BYTES,
    apply,
    asset_class_for,
    attachment_content,
    attachments,
    get_record,
    latest_records,
    plan_add,
    plan_attach,
    plan_attach_file,
    plan_delete,
    plan_detach,
    plan_edit,
    records,
    sha256_of,
)

__all__ = ["EDITABLE", "MAX_ATTACHMENT_BYTES", "apply", "asset_class_for", "attachment_content",
           "attachments", "get_record", "latest_records", "plan_add", "plan_attach",
           "plan_attach_file", "plan_delete", "plan_detach", "plan_edit", "records",
           "sha256_of"]
