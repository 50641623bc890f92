"""The latest photo of each asset on a work-order PDF (when the export asks for it): a grid
of thumbnails under the asset table, numbered as in the table, with when the photo was
taken. Photos are read from the store one order at a time and scaled down at once, so a
batch of orders never holds the full-size pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from citymgr_desktop.core import history
from citymgr_desktop.core.clock import format_local
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.messages import bracketed, words
from citymgr_desktop.core.workorders.query import ReportOrder
from citymgr_desktop.export.workorders.pdf_layout import Flow, Sheet
from citymgr_desktop.export.workorders.pdf_text import T

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

PER_ROW = 4
CELL_W, IMAGE_H, CAPTION_H = 46.5, 33.0, 8.0
THUMB_PX = 560  # about 300 dpi at the cell's width


@dataclass(frozen=True)
class Thumbnail:
    number: int  # the asset's number in the order's table
    image: QImage
    caption: str


class PhotoSource:
    """Reads the newest photo of each asset of an order from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def thumbnails(self, rep: ReportOrder, lang: str) -> list[Thumbnail]:
        latest = history.latest_photos(self.store, [a.asset_uuid for a in rep.assets])
        out = []
        for i, asset in enumerate(rep.assets, start=1):
            photo = latest.get(asset.asset_uuid)
            if photo is None:
                continue
            try:
                image = QImage.fromData(history.attachment_content(
                    self.store, photo["attachment_uuid"]))
            except CitymgrError:
                continue
            if image.isNull():
                continue
            if max(image.width(), image.height()) > THUMB_PX:
                image = image.scaled(THUMB_PX, THUMB_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
            name = asset.values.get("name") or asset.values.get("obj_code") or ""
            when = format_local(photo.get("taken_at") or photo.get("created_at"))
            out.append(Thumbnail(i, image, f"{i}. {name}\n{when}"))
        return out


def photo_block(flow: Flow, rep: ReportOrder, photos: PhotoSource, lang: str, x0: float,
                width: float) -> None:
    """The thumbnails in rows of four from ``x0`` (a row never splits across pages)."""
    t = T(lang)
    thumbs = photos.thumbnails(rep, lang)
    title = t("Latest photo of each asset")
    if not thumbs:
        text = t("Photos: none of these assets has one.")
        flow.place(7, lambda s, y: s.text(x0, y + 1, width, 6, text, 9, color="#555555"))
        return
    flow.ensure(7 + IMAGE_H + CAPTION_H)
    flow.place(7, lambda s, y: s.text(x0, y + 1, width, 6, words(title, bracketed(len(thumbs), lang)), 10,
                                      bold=True))
    for start in range(0, len(thumbs), PER_ROW):
        row = thumbs[start:start + PER_ROW]

        def draw(s: Sheet, y: float, row: list[Thumbnail] = row) -> None:
            for k, thumb in enumerate(row):
                x = x0 + k * CELL_W
                s.box(x, y, CELL_W - 1.5, IMAGE_H)
                s.image(x + 0.5, y + 0.5, CELL_W - 2.5, IMAGE_H - 1, thumb.image)
                s.text(x, y + IMAGE_H + 0.5, CELL_W - 1.5, CAPTION_H, thumb.caption, 7,
                       color="#333333")

        flow.place(IMAGE_H + CAPTION_H + 1.5, draw)
