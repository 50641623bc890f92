"""Fonts for printed output: a Chinese-capable family, and searchable Chinese in Qt's PDFs.

Shared by every PDF/PNG export (print layouts, atlas, work-order PDFs). Three things live here:

* :func:`ensure_gui_application` makes a ``QGuiApplication`` when none exists (the CLI paints
  offscreen; fonts and QPdfWriter need one).
* :func:`cjk_family` finds a font family that has Simplified Chinese glyphs (Noto/Source Han
  Sans on Linux, Microsoft YaHei/SimHei on Windows, PingFang on macOS), registering a known
  font file when the system has not.
* :func:`fix_pdf_tounicode` repairs the text layer of a PDF written by ``QPdfWriter``. Qt builds
  each font's ToUnicode map by walking code points upwards and keeping the first one that maps
  to a glyph; CJK fonts share one glyph between an ideograph and its Kangxi/CJK radical
  (比 U+6BD4 and ⽐ U+2F50), so "比例尺" is extracted and searched as "⽐例尺". The fix rewrites
  those entries to the unified ideograph in place (same byte length, so the xref stays valid).
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

# Families in order of preference; the first the system knows is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei",
    "微软雅黑", "PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "SimHei", "黑体",
    "Noto Sans SC", "Noto Serif CJK SC", "SimSun", "宋体",
)
# Font files tried when no family above is registered (fontconfig-less systems, bundles).
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)

_app: QGuiApplication | None = None
_family: str | None = None


def ensure_gui_application() -> QGuiApplication:
    """The running ``QGuiApplication``, or a new offscreen one (for the CLI and tests)."""
    global _app
    app = QGuiApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    if (not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    _app = QGuiApplication(["citymgr"])
    return _app


def cjk_family() -> str:
    """A font family with Simplified Chinese glyphs (the application default if none is found)."""
    global _family
    if _family is not None:
        return _family
    ensure_gui_application()
    known = set(QFontDatabase.families())
    for name in CJK_FAMILIES:
        if name in known:
            _family = name
            return name
    for path in CJK_FONT_FILES:
        if Path(path).exists():
            font_id = QFontDatabase.addApplicationFont(path)
            fams = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
            sc = [f for f in fams if f.endswith(" SC")]
            if fams:
                _family = (sc or fams)[0]
                return _family
    _family = QGuiApplication.font().family()
    return _family


def font(size_pt: float, *, bold: bool = False) -> QFont:
    """A Chinese-capable font of ``size_pt`` points."""
    f = QFont(cjk_family())
    f.setPointSizeF(size_pt)
    f.setBold(bold)
    f.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    return f


# Radicals and strokes whose unified ideograph NFKC does not give (from Unicode's
# EquivalentUnifiedIdeograph.txt, 15.0): pairs of (radical, ideograph).
_RADICAL_PAIRS = (
    "⺁厂⺂乛⺃乚⺄乙⺅亻⺆冂⺈刀⺉刂⺊卜⺋㔾⺌小⺍小⺎兀⺏尣⺐尢⺒巳⺓幺⺔彑⺖忄⺗心⺘扌⺙攵⺛旡⺜日⺝月"
    "⺞歺⺠民⺡氵⺢氺⺣灬⺤爫⺥爫⺦丬⺧牛⺨犭⺩王⺫目⺬示⺭礻⺯糹⺰纟⺱罓⺲罒⺳㓁⺴冗⺶羊⺹耂⺺肀⺻聿"
    "⺼肉⺾艹⺿艹⻀艹⻁虎⻂衤⻃覀⻄西⻅见⻆角⻈讠⻉贝⻋车⻌辶⻍辶⻎辶⻏邑⻐钅⻑長⻒镸⻓长⻔门⻖阝"
    "⻗雨⻘青⻙韦⻚页⻛风⻜飞⻝食⻟飠⻠饣⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻫斉⻬齐⻭歯⻮齿⻯竜"
    "⻰龙⻱龜⻲亀㇏乀㇐一㇑丨㇒丿㇓丿㇔丶㇖乛㇚亅㇝乀㇟乚㇠乙"
)


def _radical_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for cp in range(0x2F00, 0x2FD6):  # Kangxi radicals: NFKC gives the ideograph
        target = unicodedata.normalize("NFKC", chr(cp))
        if len(target) == 1 and ord(target) <= 0xFFFF:
            table[f"{cp:04X}"] = f"{ord(target):04X}"
    for i in range(0, len(_RADICAL_PAIRS), 2):
        table[f"{ord(_RADICAL_PAIRS[i]):04X}"] = f"{ord(_RADICAL_PAIRS[i + 1]):04X}"
    return table


_RADICALS = _radical_table()
_CMAP_RE = re.compile(rb"begincmap.*?endcmap", re.S)
_RANGE_LINE_RE = re.compile(rb"^<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4})>$", re.M)
_HEX4_RE = re.compile(rb"<(2[EF][0-9A-Fa-f]{2}|31[CDE][0-9A-Fa-f])>")


def _fix_cmap_block(block: bytes, counter: list[int]) -> bytes:
    head, sep, body = block.partition(b"endcodespacerange")
    if not sep:
        return block
    # A "<lo> <hi> <dst>" range maps consecutive glyphs to consecutive code points: changing
    # its start would shift the others, so such ranges (never seen from Qt for radicals) stay.
    keep = {m.start(3) - 1 for m in _RANGE_LINE_RE.finditer(body) if m.group(1) != m.group(2)}

    def repl(m: re.Match[bytes]) -> bytes:
        target = None if m.start() in keep else _RADICALS.get(m.group(1).decode().upper())
        if target is None:
            return m.group(0)
        counter[0] += 1
        return b"<" + target.encode() + b">"

    return head + sep + _HEX4_RE.sub(repl, body)


def fix_pdf_tounicode(path: str | os.PathLike[str]) -> int:
    """Map radicals in the PDF's ToUnicode CMaps back to ideographs; returns entries fixed.

    Rewrites ``path`` in place with the same length (call it on your temporary file before
    renaming it into place). Safe on any PDF: only uncompressed CMaps are touched.
    """
    p = Path(path)
    data = p.read_bytes()
    counter = [0]
    fixed = _CMAP_RE.sub(lambda m: _fix_cmap_block(m.group(0), counter), data)
    if counter[0]:
        assert len(fixed) == len(data)
        p.write_bytes(fixed)
    return counter[0]
