"""Reading a PDF the way a viewer and a reader do: every stroked segment in page millimetres,
following the graphics state's q/Q/cm (pypdf), the text and the word boxes as poppler's
pdftotext reads them, and the pages as poppler's pdftoppm paints them (callers mark their
tests ``needs_poppler``)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

PT_MM = 25.4 / 72


def _mul(a, b):
    """Compose PDF matrices [a b c d e f]: first ``a``, then ``b``."""
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def stroked_segments(pdf: Path, page: int = 0) -> list[tuple[str, tuple, tuple]]:
    """Every stroked straight segment as (stroke colour hex, (x, y) mm, (x, y) mm) in page
    millimetres from the top-left corner, following q/Q/cm like a viewer does."""
    reader = PdfReader(str(pdf))
    pg = reader.pages[page]
    height = float(pg.mediabox.height)
    ops = ContentStream(pg.get_contents(), reader).operations
    ctm, colour, stack = [1.0, 0, 0, 1.0, 0, 0], "#000000", []
    path: list[tuple[tuple, tuple]] = []
    current = start = None
    out = []

    def page_mm(x, y):
        px = ctm[0] * x + ctm[2] * y + ctm[4]
        py = ctm[1] * x + ctm[3] * y + ctm[5]
        return (px * PT_MM, (height - py) * PT_MM)

    for operands, op in ops:
        op = op.decode() if isinstance(op, bytes) else op
        if op == "q":
            stack.append((ctm, colour))
        elif op == "Q":
            ctm, colour = stack.pop()
        elif op == "cm":
            ctm = _mul([float(v) for v in operands], ctm)
        elif op in ("RG", "SC", "SCN") and len(operands) == 3:
            r, g, b = (float(v) for v in operands)
            colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
        elif op == "m":
            current = start = page_mm(float(operands[0]), float(operands[1]))
        elif op == "l":
            nxt = page_mm(float(operands[0]), float(operands[1]))
            path.append((current, nxt))
            current = nxt
        elif op == "h" and current is not None and start is not None:
            path.append((current, start))
        elif op in ("S", "s", "B", "B*", "b", "b*"):
            out += [(colour, a, b) for a, b in path]
            path = []
        elif op in ("f", "f*", "F", "n", "W n"):
            path = []
    return out


@dataclass(frozen=True)
class Painted:
    """One painting operator: ``op`` "stroke" or "fill", its colour, the stroke's width in
    millimetres (0 for a fill) and every point of its path (control points too), in page
    millimetres from the top-left corner."""

    op: str
    colour: str
    width_mm: float
    points: np.ndarray


def painted_paths(pdf: Path, page: int = 0) -> list[Painted]:
    """Every stroked or filled path of a page, in painting order, following q/Q/cm."""
    reader = PdfReader(str(pdf))
    pg = reader.pages[page]
    height = float(pg.mediabox.height)
    ops = ContentStream(pg.get_contents(), reader).operations
    state = {"ctm": [1.0, 0, 0, 1.0, 0, 0], "stroke": "#000000", "fill": "#000000", "w": 1.0}
    stack: list[dict] = []
    points: list[tuple[float, float]] = []
    out: list[Painted] = []

    def hex_of(values) -> str:
        r, g, b = (float(v) for v in values)
        return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"

    for operands, op in ops:
        op = op.decode() if isinstance(op, bytes) else op
        ctm = state["ctm"]
        if op == "q":
            stack.append(dict(state))
        elif op == "Q":
            state = stack.pop()
        elif op == "cm":
            state["ctm"] = _mul([float(v) for v in operands], ctm)
        elif op in ("RG", "SC", "SCN") and len(operands) == 3:
            state["stroke"] = hex_of(operands)
        elif op in ("rg", "sc", "scn") and len(operands) == 3:
            state["fill"] = hex_of(operands)
        elif op == "w":
            state["w"] = float(operands[0])
        elif op in ("m", "l", "c"):
            for x, y in zip(operands[0::2], operands[1::2], strict=True):
                px = ctm[0] * float(x) + ctm[2] * float(y) + ctm[4]
                py = ctm[1] * float(x) + ctm[3] * float(y) + ctm[5]
                points.append((px * PT_MM, (height - py) * PT_MM))
        elif op in ("S", "s", "f", "f*", "F", "B", "B*", "b", "b*", "n"):
            if op in ("f", "f*", "F", "B", "B*", "b", "b*"):
                out.append(Painted("fill", state["fill"], 0.0, np.array(points)))
            if op in ("S", "s", "B", "B*", "b", "b*"):
                scale = abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]) ** 0.5
                out.append(Painted("stroke", state["stroke"], state["w"] * scale * PT_MM,
                                   np.array(points)))
            points = []
    return out


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The text of the PDF (or of one page, from 1) with its layout (pdftotext -layout)."""
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_words(pdf: Path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """Words with their boxes in page millimetres (pdftotext -bbox), of ``page`` (from 1)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                           "-"],
                          capture_output=True, text=True, check=True).stdout
    out = []
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                         r'yMax="([\d.]+)">([^<]*)</word>', html):
        x0, y0, x1, y1 = (float(m.group(i)) * PT_MM for i in range(1, 5))
        out.append((m.group(5), x0, y0, x1, y1))
    return out


def pdf_pages(pdf: Path, folder: Path, dpi: int = 30) -> list[np.ndarray]:
    """Every page as an (h, w, 3) RGB array, painted by pdftoppm at ``dpi``."""
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(folder / "page")],
                   check=True)
    return [np.asarray(Image.open(p).convert("RGB"), dtype=np.int16)
            for p in sorted(folder.glob("page*.png"))]


def ink_in_thirds(page: np.ndarray, frame, dpi: int = 30, saturation: int = 15
                  ) -> list[float]:
    """The share of coloured pixels (map symbols: greens, yellows, reds; not grey grid lines,
    black lines or white paper) in the left, middle and right, then the top, middle and bottom
    thirds of ``frame`` (a rectangle in page millimetres with x, y, right, bottom). A pixel
    is coloured when its channels differ by more than ``saturation`` (15: pale symbols too;
    60: only full colours)."""
    px = dpi / 25.4
    x0, y0 = round(frame.x * px) + 1, round(frame.y * px) + 1
    x1, y1 = round(frame.right * px) - 1, round(frame.bottom * px) - 1
    inside = page[y0:y1, x0:x1]
    coloured = (inside.max(axis=2) - inside.min(axis=2)) > saturation
    h, w = coloured.shape
    cols = [coloured[:, i * w // 3:(i + 1) * w // 3].mean() for i in range(3)]
    rows = [coloured[i * h // 3:(i + 1) * h // 3, :].mean() for i in range(3)]
    return [float(v) for v in cols + rows]
