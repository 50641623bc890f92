"""Find a font that renders Chinese: installed system fonts first, then known font files.

Qt picks a family by name; when no CJK family is known to the font database (a bare
Linux box, an embedded Python), known font files are registered with ``QFontDatabase``.
Needs a ``QGuiApplication``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QFontDatabase

from citymgr_desktop.core.messages import msg

CJK_FAMILIES = (
    "Microsoft YaHei", "微软雅黑", "Noto Sans CJK SC", "Source Han Sans SC", "思源黑体",
    "PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
    "SimHei", "黑体", "Noto Sans SC", "Droid Sans Fallback",
)

_FONT_FILES = (
    # Windows
    "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/msyh.ttf", "C:/Windows/Fonts/simhei.ttf",
    # macOS
    "/System/Library/Fonts/PingFang.ttc", "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    # Linux (Debian/Ubuntu/Fedora/Arch package paths)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)

_found: str | None = None


def _known_family() -> str | None:
    families = set(QFontDatabase.families())
    for fam in CJK_FAMILIES:
        if fam in families:
            return fam
    for fam in families:  # any family that says it writes Simplified Chinese
        if QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(fam):
            return fam
    return None


def font_files() -> list[Path]:
    """Candidate font files: ``CITYMGR_CJK_FONT`` first, then the known system paths."""
    paths = [os.environ["CITYMGR_CJK_FONT"]] if os.environ.get("CITYMGR_CJK_FONT") else []
    if sys.platform.startswith("win"):
        windir = os.environ.get("WINDIR", "C:/Windows")
        paths += [f"{windir}/Fonts/msyh.ttc", f"{windir}/Fonts/simhei.ttf"]
    return [Path(p) for p in (*paths, *_FONT_FILES)]


def ensure_cjk_font() -> str | None:
    """The family used for Chinese text, registering a known font file if needed.

    Returns None when no Chinese font exists on this machine (the caller tells the user).
    """
    global _found
    if _found is not None:
        return _found
    fam = _known_family()
    if fam is None:
        for path in font_files():
            if path.is_file():
                font_id = QFontDatabase.addApplicationFont(str(path))
                names = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
                if names:
                    fam = names[0]
                    break
    _found = fam
    return fam


# a Message: the command line prints it in its language (the catalogue's errors.json)
MISSING_FONT_MESSAGE = msg(
    "No Chinese font was found: Chinese names will show as boxes. Install one "
    "(Debian/Ubuntu: apt install fonts-noto-cjk; Windows and macOS include one) or set "
    "CITYMGR_CJK_FONT to a .ttf/.ttc/.otf file."
)
