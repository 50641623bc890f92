"""Checks that an exported file is complete, run on the temporary file before it replaces the
old one (``atomic_path(..., verify=...)``).

Qt's PDF and image writers do not report a full disk (a PDF cut at 4 MB of 8 was renamed
into place and the export said it succeeded), and a library that fails late may leave a
file that looks fine by its name. Each check reads the file back the way its readers will:
a PDF ends with ``%%EOF`` and pypdf finds its pages, a PNG ends with its ``IEND`` chunk, a
workbook is a readable zip, a CSV has all its rows, a GeoJSON or GeoPackage has all its
features. A failed check raises :class:`~citymgr_desktop.core.atomic.Incomplete`, which
``atomic_path`` turns into one error naming the file; the old file is kept.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from citymgr_desktop.core.atomic import Incomplete, Verifier

_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_JPEG_END = b"\xff\xd9"


def _size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Incomplete(exc.strerror or str(exc)) from None
    if size == 0:
        raise Incomplete("it is empty")
    return size


def _tail(path: Path, n: int = 2048) -> bytes:
    size = _size(path)
    with path.open("rb") as fh:
        fh.seek(max(0, size - n))
        return fh.read()


def pdf(pages: int | None = None) -> Verifier:
    """A PDF: ends with ``%%EOF`` and pypdf reads ``pages`` pages (at least one)."""

    def check(path: Path) -> None:
        if b"%%EOF" not in _tail(path):
            raise Incomplete("no %%EOF at its end")
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            found = len(PdfReader(str(path), strict=False).pages)
        except (PyPdfError, OSError, ValueError, KeyError) as exc:
            raise Incomplete(f"pypdf cannot read it: {exc}") from None
        if found < 1 or (pages is not None and found != pages):
            raise Incomplete(f"{found} page(s) of {pages or 'at least 1'}")

    return check


def image(fmt: str) -> Verifier:
    """An image written by QImage.save: PNG and JPEG by their end markers, other formats by
    reading them back."""

    def check(path: Path) -> None:
        kind = fmt.upper()
        if kind == "PNG":
            if not _tail(path, 64).endswith(_PNG_END):
                raise Incomplete("no PNG end chunk")
        elif kind in ("JPG", "JPEG"):
            if not _tail(path, 64).rstrip(b"\x00").endswith(_JPEG_END):
                raise Incomplete("no JPEG end marker")
        else:
            from PySide6.QtGui import QImageReader

            _size(path)
            reader = QImageReader(str(path))
            if reader.read().isNull():
                raise Incomplete(reader.errorString())

    return check


def xlsx(sheets: int) -> Verifier:
    """A workbook: a zip whose members all read back, with ``sheets`` worksheets."""

    def check(path: Path) -> None:
        _size(path)
        try:
            with zipfile.ZipFile(path) as z:
                bad = z.testzip()
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise Incomplete(f"not a readable workbook: {exc}") from None
        if bad is not None:
            raise Incomplete(f"member {bad} is damaged")
        found = sum(1 for n in names if n.startswith("xl/worksheets/sheet"))
        if found != sheets:
            raise Incomplete(f"{found} sheet(s) of {sheets}")

    return check


def csv_rows(rows: int, encoding: str = "utf-8-sig") -> Verifier:
    """A CSV file with ``rows`` records (the header included)."""

    def check(path: Path) -> None:
        _size(path)
        try:
            with path.open(encoding=encoding, newline="") as fh:
                found = sum(1 for _ in csv.reader(fh))
        except (UnicodeDecodeError, csv.Error, OSError) as exc:
            raise Incomplete(str(exc)) from None
        if found != rows:
            raise Incomplete(f"{found} row(s) of {rows}")

    return check


def geojson(features: int) -> Verifier:
    """A GeoJSON FeatureCollection with ``features`` features."""

    def check(path: Path) -> None:
        _size(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found = len(data["features"])
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise Incomplete(f"not readable as GeoJSON: {exc}") from None
        if found != features:
            raise Incomplete(f"{found} feature(s) of {features}")

    return check


def geopackage(layers: dict[str, int]) -> Verifier:
    """A GeoPackage GDAL opens, with these layers and feature counts."""

    def check(path: Path) -> None:
        import pyogrio

        _size(path)
        for layer, count in layers.items():
            try:
                found = pyogrio.read_info(path, layer=layer)["features"]
            except Exception as exc:  # pyogrio raises several kinds for a damaged file
                raise Incomplete(f"GDAL cannot read layer {layer}: {exc}") from None
            if found != count:
                raise Incomplete(f"layer {layer} has {found} feature(s) of {count}")

    return check


def all_of(*checks: Verifier) -> Verifier:
    """Several checks, in order."""

    def check(path: Path) -> None:
        for one in checks:
            one(path)

    return check


def save_image(image: Any, path: Path, fmt: str, quality: int = -1) -> None:
    """``QImage.save`` into the temporary ``path`` (``quality`` as Qt's: -1 its default);
    raises :class:`Incomplete` when Qt cannot.

    libpng prints its own ``libpng error: Write Error`` straight to the process's stderr
    when the disk fills up; that line is kept out of the terminal (the caller reports the
    failure in one line of its own)."""
    with _c_stderr_muted():
        saved = image.save(str(path), fmt, quality)
    if not saved:
        raise Incomplete("the image could not be written")


@contextlib.contextmanager
def _c_stderr_muted() -> Iterator[None]:
    """Send what C libraries write to file descriptor 2 nowhere, meanwhile."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "wb") as nowhere:
            os.dup2(nowhere.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
