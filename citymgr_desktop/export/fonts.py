"""Fonts for printed output: a Chinese-capable family, and searchable Chinese in Qt's PDFs.

Shared by every PDF/PNG export (print layouts, atlas, work-order PDFs). Three things live here:

* :func:`ensure_gui_application` makes a ``QGuiApplication`` when none exists (the CLI paints
  offscreen; fonts and QPdfWriter need one).
* :func:`cjk_family` is the family with Simplified Chinese glyphs that the renderer uses
  (``render.fonts.ensure_cjk_font``: YaHei, Noto/Source Han Sans, PingFang, ...).
* :func:`font` gives a Chinese-capable QFont whose glyphs all keep their Unicode in a PDF
  (the OpenType features that substitute glyphs are off; see the comment there).
* :func:`fix_pdf_tounicode` repairs the text layer of a PDF written by ``QPdfWriter``. Qt builds
  each font's ToUnicode map by walking code points upwards and keeping the first one that maps
  to a glyph; CJK fonts share one glyph between an ideograph and its Kangxi/CJK radical
  (比 U+6BD4 and ⽐ U+2F50), so "比例尺" is extracted and searched as "⽐例尺", and the space
  glyph is TAB's. The fix rewrites those entries to the unified ideograph (and space) in place
  (same byte length, so the xref stays valid).
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

from PySide6.QtGui import QFont, QGuiApplication

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
    log_qt_messages()
    return _app


def log_qt_messages() -> None:
    """Send Qt's own messages (``libpng error: Write Error`` on a full disk, font warnings)
    to Python's log instead of stderr, where the command line keeps one line per error; the
    command reports the failure itself. ``CITYMGR_QT_MESSAGES=1`` shows them."""
    import logging

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    if os.environ.get("CITYMGR_QT_MESSAGES") == "1":
        return
    log = logging.getLogger("citymgr.qt")

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        log.log(logging.ERROR if kind == QtMsgType.QtFatalMsg else logging.DEBUG, message)

    qInstallMessageHandler(handler)


def cjk_family() -> str:
    """A font family with Simplified Chinese glyphs (the renderer's choice, so map labels and
    layout text match); the application default if the system has none."""
    global _family
    if _family is None:
        ensure_gui_application()
        from citymgr_desktop.render.fonts import ensure_cjk_font

        _family = ensure_cjk_font() or QGuiApplication.font().family()
    return _family


def font(size_pt: float, *, bold: bool = False) -> QFont:
    """A Chinese-capable font of ``size_pt`` points."""
    f = QFont(cjk_family())
    f.setPointSizeF(size_pt)
    f.setBold(bold)
    f.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    # Qt writes a PDF's text layer from the font's cmap only: glyphs that OpenType features
    # substitute have no Unicode and vanish from copy/search. In CJK fonts 'locl' swaps the
    # digits of Latin runs ("EPSG:4547" extracted as "EPSG:"); 'liga' makes "fi" one glyph.
    f.setFeature(QFont.Tag("locl"), 0)
    f.setFeature(QFont.Tag("liga"), 0)
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
    table: dict[str, str] = {"0009": "0020"}  # the space glyph is also TAB's, which comes first
    for cp in range(0x2F00, 0x2FD6):  # Kangxi radicals: NFKC gives the ideograph
        target = unicodedata.normalize("NFKC", chr(cp))
        if len(target) == 1 and ord(target) <= 0xFFFF:
            table[f"{cp:04X}"] = f"{ord(target):04X}"
    for i in range(0, len(_RADICAL_PAIRS), 2):
        table[f"{ord(_RADICAL_PAIRS[i]):04X}"] = f"{ord(_RADICAL_PAIRS[i + 1]):04X}"
    # ⼾ (KANGXI RADICAL DOOR): NFKC gives the traditional 戶, but a Simplified Chinese face
    # (cjk_family's) shares the radical's glyph with 户, so "用户" was extracted as "用戶".
    # Checked against Noto Sans/Serif CJK SC: the only Kangxi radical whose shared ideograph
    # is not its NFKC form.
    table["2F3E"] = "6237"
    return table


_RADICALS = _radical_table()
_CMAP_RE = re.compile(rb"begincmap.*?endcmap", re.S)
_RANGE_LINE_RE = re.compile(rb"^<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4})>$", re.M)
_HEX4_RE = re.compile(rb"<(0009|2[EF][0-9A-Fa-f]{2}|31[CDE][0-9A-Fa-f])>")


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
