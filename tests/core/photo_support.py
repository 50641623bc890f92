"""Real JPEG photos with EXIF for the photo tests (Pillow writes them as a camera would: the
time the picture was taken, its UTC offset and the GPS position)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def jpeg_bytes(*, when: str | None = "2026:11:25 10:30:00", offset: str | None = "+08:00",
               lon: float | None = 114.305, lat: float | None = 30.593,
               size: tuple[int, int] = (96, 72), colour: tuple[int, int, int] = (200, 80, 40),
               padding: int = 0) -> bytes:
    """A JPEG with EXIF; ``padding`` random-free filler bytes after the picture make it as
    big as a camera's photo (readers stop at the end-of-image marker)."""
    img = Image.new("RGB", size, colour)
    for x in range(size[0]):  # a gradient, so the picture is not one flat colour
        img.putpixel((x, x * size[1] // size[0] // 2), (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "citymgr test camera"
    if when:
        exif[0x0132] = when
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = when
        if offset:
            sub[0x9011] = offset
    if lon is not None and lat is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue() + bytes(padding)


def write_jpeg(path: Path, **kw: object) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = jpeg_bytes(**kw)  # type: ignore[arg-type]
    path.write_bytes(data)
    return data
