"""Help > User Guide: the user's guide in the interface's language, shown in a browser pane.

The guide is Markdown inside the package (``resources/guide/<language>.md``, in the wheel by
``package-data``), so a checkout and an installed wheel show the same text; the README is the
developers' page and points to it. Its link to the other language opens in place, web links
in the browser; a link to anything the package does not have says so instead of showing an
empty page.
"""

from __future__ import annotations

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

from citymgr_desktop.core.resources import guide_file
from citymgr_desktop.ui import i18n


class GuideDialog(QDialog):
    """The user guide; web links open in the browser, the guide's own pages in place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle(self.tr("User Guide"))
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideBrowser")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self.follow)
        path = guide_file(i18n.language())
        self.folder = path.parent
        if path.is_file():
            self.browser.setSource(QUrl.fromLocalFile(str(path)),
                                   QTextDocument.ResourceType.MarkdownResource)
        else:
            self.browser.setPlainText(self.tr(
                "The user guide is missing from this copy of citymgr-desktop (%1).")
                .replace("%1", str(path)))
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
        """A web link in the browser; an anchor, or another page of the guide, in place (the
        same in a checkout as in a wheel: nothing outside the guide's folder)."""
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
        if path is not None and path.parent == self.folder and path.is_file() and \
                path.suffix.lower() == ".md":
            self.browser.setSource(target, QTextDocument.ResourceType.MarkdownResource)
            return
        self.note.setText(self.tr("%1 is not part of the installed package.")
                          .replace("%1", url.toString()))
        self.note.show()
