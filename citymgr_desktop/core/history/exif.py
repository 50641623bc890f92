"""When and where a photo was taken, from the EXIF block a camera writes into a JPEG (or a
TIFF): ``DateTimeOriginal`` with its ``OffsetTimeOriginal`` and the GPS latitude and
longitude. Plain Python over the bytes, no imaging library; anything it cannot read gives
no value, never an error (a photo without EXIF is still a photo).
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass

from citymgr_desktop.core.clock import format_iso

# A camera clock without an offset tag (OffsetTimeOriginal) is taken to be China Standard
# Time (UTC+8), the time of the bureaus this app serves; a phone that writes one says its own.
DEVICE_TZ = dt.timezone(dt.timedelta(hours=8))
_SCAN_BYTES = 256 * 1024  # the APP1 segment comes first; never scan the whole picture

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME, _DATETIME_ORIGINAL, _OFFSET_ORIGINAL = 0x0132, 0x9003, 0x9011
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}


@dataclass(frozen=True)
class PhotoInfo:
    """What the EXIF block says: the moment (stored form, UTC) and WGS 84 degrees."""

    taken_at: str | None = None
    lon: float | None = None
    lat: float | None = None


def read_exif(data: bytes) -> PhotoInfo:
    """The EXIF time and position of a JPEG or TIFF (empty when it has none)."""
    try:
        tiff = _tiff_block(data[:_SCAN_BYTES])
        return _parse(tiff) if tiff else PhotoInfo()
    except (ValueError, IndexError, struct.error, ZeroDivisionError, OverflowError):
        return PhotoInfo()


def _tiff_block(data: bytes) -> bytes | None:
    """The TIFF structure: the whole file for a TIFF, the APP1 ``Exif`` segment of a JPEG."""
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return data
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no EXIF before the picture
            return None
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        body = data[pos + 4:pos + 2 + length]
        if marker == 0xE1 and body[:6] == b"Exif\x00\x00":
            return body[6:]
        pos += 2 + length
    return None


class _Tiff:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"

    def unpack(self, fmt: str, offset: int) -> tuple:
        return struct.unpack_from(self.order + fmt, self.data, offset)

    def ifd(self, offset: int) -> dict[int, tuple[int, int, int]]:
        """{tag: (type, count, offset of the value)} of the directory at ``offset``."""
        (n,) = self.unpack("H", offset)
        out = {}
        for i in range(min(n, 512)):
            entry = offset + 2 + 12 * i
            tag, typ, count = self.unpack("HHI", entry)
            size = _TYPE_SIZES.get(typ, 1) * count
            value_at = entry + 8 if size <= 4 else self.unpack("I", entry + 8)[0]
            out[tag] = (typ, count, value_at)
        return out

    def text(self, entry: tuple[int, int, int] | None) -> str | None:
        if entry is None or entry[0] != 2:
            return None
        _, count, at = entry
        return self.data[at:at + count].split(b"\x00")[0].decode("ascii", "replace").strip()

    def rationals(self, entry: tuple[int, int, int] | None) -> list[float]:
        if entry is None or entry[0] not in (5, 10):
            return []
        fmt = "II" if entry[0] == 5 else "ii"
        out = []
        for k in range(min(entry[1], 3)):
            num, den = self.unpack(fmt, entry[2] + 8 * k)
            out.append(num / den)
        return out

    def pointer(self, entry: tuple[int, int, int] | None) -> int | None:
        if entry is None or entry[0] not in (4, 13):
            return None
        return int(self.unpack("I", entry[2])[0])


def _parse(data: bytes) -> PhotoInfo:
    tiff = _Tiff(data)
    ifd0 = tiff.ifd(tiff.unpack("I", 4)[0])
    exif_at = tiff.pointer(ifd0.get(_EXIF_IFD))
    exif = tiff.ifd(exif_at) if exif_at else {}
    when = _moment(tiff.text(exif.get(_DATETIME_ORIGINAL)) or tiff.text(ifd0.get(_DATETIME)),
                   tiff.text(exif.get(_OFFSET_ORIGINAL)))
    gps_at = tiff.pointer(ifd0.get(_GPS_IFD))
    lon = lat = None
    if gps_at:
        gps = tiff.ifd(gps_at)
        lat = _degrees(tiff.rationals(gps.get(_LAT)), tiff.text(gps.get(_LAT_REF)), 90)
        lon = _degrees(tiff.rationals(gps.get(_LON)), tiff.text(gps.get(_LON_REF)), 180)
        if lat is None or lon is None:
            lat = lon = None
    return PhotoInfo(when, lon, lat)


def _moment(text: str | None, offset: str | None) -> str | None:
    """``YYYY:MM:DD HH:MM:SS`` (+ ``+08:00``) as a stored UTC timestamp."""
    if not text:
        return None
    try:
        local = dt.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    tz = DEVICE_TZ
    if offset and len(offset) >= 6 and offset[0] in "+-":
        try:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            sign = 1 if offset[0] == "+" else -1
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        except ValueError:
            pass
    return format_iso(local.replace(tzinfo=tz))


def _degrees(parts: list[float], ref: str | None, limit: float) -> float | None:
    if len(parts) != 3 or not ref:
        return None
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    if ref.upper()[:1] in ("S", "W"):
        value = -value
    return round(value, 7) if abs(value) <= limit else None
