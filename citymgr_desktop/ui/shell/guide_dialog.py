"""Help > User Guide: the README shown in a browser pane.

An installed wheel carries no ``docs/`` folder; what it does carry is the README, as the long
description in the package's metadata (``readme`` in ``pyproject.toml``). So the guide is
that README, read with ``importlib.metadata``; run from a source checkout, the checkout's
own README, whose links to ``docs/…`` then open in the same pane. A link to a document the
installed package does not have says so instead of showing an empty page.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

DISTRIBUTION = "citymgr-desktop"
CHECKOUT = Path(__file__).resolve().parents[3]  # the folder holding the package


def checkout_readme() -> Path | None:
    """The README of the source checkout the package runs from (None when installed)."""
    readme = CHECKOUT / "README.md"
    if readme.is_file() and (CHECKOUT / "docs").is_dir() and \
            (CHECKOUT / "pyproject.toml").is_file():
        return readme
    return None


def guide() -> tuple[str, Path | None]:
    """(the README's Markdown, its file when it is the checkout's, else None)."""
    readme = checkout_readme()
    if readme is not None:
        return readme.read_text(encoding="utf-8"), readme
    try:
        meta = importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "", None
    return str(meta.get_payload() or ""), None  # type: ignore[attr-defined]


class GuideDialog(QDialog):
    """The user guide; web links open in the browser, the checkout's documents in place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle(self.tr("User Guide"))
        text, readme = guide()
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideBrowser")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self.follow)
        if readme is not None:
            self.browser.setSource(QUrl.fromLocalFile(str(readme)),
                                   QTextDocument.ResourceType.MarkdownResource)
        else:
            self.browser.setMarkdown(text or self.tr(
                "The user guide is not available: this copy of citymgr-desktop was not "
                "installed as a package."))
        self.note = QLabel()
        self.note.setObjectName("guideNote")
        self.note.setWordWrap(True)
        self.note.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        back = buttons.addButton(self.tr("Back"), QDialogButtonBox.ButtonRole.ActionRole)
        back.setEnabled(False)
        back.clicked.connect(self.browser.backward)
        self.browser.backwardAvailable.connect(back.setEnabled)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.resize(820, 680)

    def follow(self, url: QUrl) -> None:
        """A web link in the browser; an anchor, or a document of the checkout, in place."""
        self.note.hide()
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
            return
        if not url.path() and url.fragment():
            self.browser.scrollToAnchor(url.fragment())
            return
        here = self.browser.source()
        target = here.resolved(url) if here.isLocalFile() else QUrl()
        path = Path(target.toLocalFile()) if target.isLocalFile() else None
        if path is not None and path.is_file() and path.suffix.lower() == ".md":
            self.browser.setSource(target, QTextDocument.ResourceType.MarkdownResource)
            return
        self.note.setText(self.tr("%1 is part of the source repository, not of the "
                                  "installed package.").replace("%1", url.toString()))
        self.note.show()
