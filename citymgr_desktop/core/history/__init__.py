"""Maintenance history of assets: records (inspection, repair, cleaning, …), the inspection
rule that grades an asset from its newest record, and attachments (photos, documents), all
planned as deltas and applied in one transaction (``from citymgr_desktop.core import
history``).
"""

from citymgr_desktop.core.history.attachments import (
    asset_class_for,
    asset_photos,
    attachment_content,
    attachments,
    latest_photos,
    owner_of,
    package_path,
    plan_attach,
    plan_attach_file,
    plan_detach,
)
from citymgr_desktop.core.history.inspection import (
    condition_before,
    inspection_condition,
    newest_per_asset,
)
from citymgr_desktop.core.history.photos import (
    MAX_ATTACHMENT_BYTES,
    PHOTO_FOLDER,
    AttachmentFile,
    read_file,
    sha256_of,
    sniff_mime,
)
from citymgr_desktop.core.history.records import (
    EDITABLE,
    apply,
    get_record,
    latest_records,
    plan_add,
    plan_delete,
    plan_edit,
    records,
)

__all__ = ["EDITABLE", "MAX_ATTACHMENT_BYTES", "PHOTO_FOLDER", "AttachmentFile", "apply",
           "asset_class_for", "asset_photos", "attachment_content", "attachments", "condition_before",
           "get_record", "inspection_condition", "latest_photos", "latest_records",
           "newest_per_asset", "owner_of", "package_path", "plan_add", "plan_attach",
           "plan_attach_file", "plan_delete", "plan_detach", "plan_edit", "read_file",
           "records", "sha256_of", "sniff_mime"]
