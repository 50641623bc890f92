"""A photo or document file as an attachment: its kind by content, its SHA-256 and size, and
when and where it was taken (EXIF). The one reader for a file the office attaches and for a
file a surveyor's camera wrote into a field package.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from citymgr_desktop.core.errors import BadFileError, ValidationError
from citymgr_desktop.core.history.exif import PhotoInfo, read_exif

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024  # a 50 MB photo or PDF is already a lot for a file
PHOTO_FOLDER = "DCIM"  # where QField's camera puts photos, relative to the project

# Leading bytes of the kinds a field package may bring in (images and documents).
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"BM", 0, "image/bmp"),
    (b"%PDF-", 0, "application/pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "application/msword"),
)
_HEIF_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif",
                b"msf1": "image/heif", b"avif": "image/avif"}
_OFFICE_ZIPS = {".docx", ".xlsx", ".pptx", ".odt", ".ods"}
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
               "image/tiff": ".tif", "image/bmp": ".bmp", "image/webp": ".webp",
               "image/heic": ".heic", "image/heif": ".heif", "image/avif": ".avif",
               "application/pdf": ".pdf", "application/msword": ".doc"}


@dataclass(frozen=True)
class AttachmentFile:
    """A file read for storing: its bytes and what is known about them."""

    name: str
    data: bytes
    sha256: str
    mime_type: str
    info: PhotoInfo

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


def sniff_mime(head: bytes, name: str = "") -> str | None:
    """The MIME type of an image or document by its first bytes (None for anything else:
    an executable renamed ``.jpg`` is not a photo)."""
    for magic, at, mime in _MAGIC:
        if head[at:at + len(magic)] == magic:
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]]
    if head[:4] == b"PK\x03\x04" and Path(name).suffix.lower() in _OFFICE_ZIPS:
        return mimetypes.guess_type(name)[0] or "application/zip"
    return None


def extension_for(mime_type: str | None, name: str = "") -> str:
    """The file extension to write a stored attachment under."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix and len(suffix) <= 6 else _EXTENSIONS.get(mime_type or "", ".bin")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def describe(data: bytes, name: str, *, strict: bool) -> AttachmentFile:
    """``data`` as an attachment named ``name``. ``strict`` (a field package) refuses what is
    not an image or a document; otherwise the type is guessed from the name as a last resort."""
    mime = sniff_mime(data[:64], name)
    if mime is None:
        if strict:
            raise ValidationError("{name} is not a photo or a document (JPEG, PNG, HEIC, PDF, "
                                  "…); it was not stored", name=name)
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    info = read_exif(data) if mime in ("image/jpeg", "image/tiff") else PhotoInfo()
    return AttachmentFile(Path(name).name, data, sha256_of(data), mime, info)


def read_file(path: Path, *, strict: bool, max_bytes: int = MAX_ATTACHMENT_BYTES
              ) -> AttachmentFile:
    """Read a file to attach: BadFileError when it cannot be read, ValidationError when it is
    too big (checked before reading) or, with ``strict``, not an image or a document."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise BadFileError("{path}: cannot be read ({why})", path=str(path),
                           why=exc.strerror or str(exc)) from None
    if size > max_bytes:
        raise ValidationError("{name} is {mb} MB; attachments may be at most {limit} MB",
                              name=path.name, mb=f"{size / 1e6:.0f}",
                              limit=max_bytes // 1024 // 1024)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadFileError("{path}: cannot be read ({why})", path=str(path),
                           why=exc.strerror or str(exc)) from None
    if len(data) > max_bytes:  # it grew while we looked
        raise ValidationError("{name} is {mb} MB; attachments may be at most {limit} MB",
                              name=path.name, mb=f"{len(data) / 1e6:.0f}",
                              limit=max_bytes // 1024 // 1024)
    return describe(data, path.name, strict=strict)


def inside(root: Path, relative: str) -> Path:
    """The file ``relative`` (a photo field's value) names inside the folder ``root``.

    Refused (ValidationError, nothing is read or written) when it is absolute, a URL, climbs
    out with ``..`` or passes through a symbolic link; the file itself need not exist.
    """
    text = str(relative or "").strip().replace("\\", "/")
    if not text or text.startswith("/") or re.match(r"^[A-Za-z]:", text) or "://" in text:
        raise ValidationError("photo path {path} is absolute; only paths inside the package "
                              "folder are read", path=relative)
    parts = PurePosixPath(text).parts
    if any(p == ".." for p in parts):
        raise ValidationError("photo path {path} points outside the package folder",
                              path=relative)
    base = Path(os.path.realpath(root))
    here = base
    for part in parts:
        if part in (".", ""):
            continue
        here = here / part
        if here.is_symlink():
            raise ValidationError("photo path {path} passes through a symbolic link; it was "
                                  "not followed", path=relative)
    if os.path.commonpath([os.path.realpath(here), str(base)]) != str(base):
        raise ValidationError("photo path {path} points outside the package folder",
                              path=relative)
    return here
