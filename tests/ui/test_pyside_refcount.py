"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every call that returns
nothing (QPainterPath.moveTo, QPainter.drawPath, ...) and the interpreter aborts after some
thousands (``Fatal Python error: none_dealloc``). The renderer makes such calls by the
thousand; this test catches a broken PySide6 before a user's session does."""

from __future__ import annotations

import sys

import pytest

N = 20_000


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_void_calls_keep_the_refcount_of_none(qapp):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath

    image = QImage(8, 8, QImage.Format.Format_ARGB32_Premultiplied)
    before = sys.getrefcount(None)
    path = QPainterPath()
    for i in range(N):
        QPainterPath().moveTo(1, 2)
        path.lineTo(i % 7, i % 5)
    painter = QPainter(image)
    for _ in range(2000):
        painter.fillRect(QRectF(0, 0, 2, 2), QColor("red"))
    painter.end()
    after = sys.getrefcount(None)
    # the broken build loses one reference per call (N + 2000 here); allow noise
    assert after >= before - 100, (
        f"PySide6 lost {before - after} references to None in {N + 2000} calls: this build "
        "crashes with 'none_dealloc' (PySide6 6.12.0); install PySide6-Essentials<6.12")
