"""What the import wizard's pages share: the decisions made so far (:class:`ImportState`) and
the little they need from the wizard that holds them (:class:`ImportHost`). The pages depend
on this module, never on the wizard class, so the wizard and its pages do not import each
other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from citymgr_desktop.core.importing import ImportMapping, ImportResult
from citymgr_desktop.core.importing.sources import SourceData, SourceLayer, SourceOptions
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.worker import Task


@dataclass
class ImportState:
    """What the pages decided so far."""

    path: str = ""
    options: SourceOptions = field(default_factory=SourceOptions)
    data: SourceData | None = None
    info: SourceLayer | None = None
    profile: ImportMapping | None = None  # loaded from a profile: replaces the suggestions
    # when the mapping proposed was remembered from (the previous import of this source into
    # this project; core/importing/memory.py); empty: suggested, or from a profile
    remembered: str = ""
    mapping: ImportMapping | None = None
    dry_run: ImportResult | None = None
    background: Any = None  # render.data.MapData of the project, for the preview
    result: ImportResult | None = None


class ImportHost(Protocol):
    """The wizard as its pages see it (:class:`~citymgr_desktop.ui.importing.wizard.ImportWizard`)."""

    state: ImportState
    store: Store  # the project file imported into
    # the name recorded as ``updated_by``: asked (once) when the import is run, the first
    # time it is needed, as an edit asks at its first change
    user: Callable[[], str]

    def run(self, title: str, fn: Callable[..., Any], on_done: Callable[[Any], None],
            *args: Any, **kwargs: Any) -> Task:
        """Run ``fn(*args, progress=..., **kwargs)`` in the worker; errors as one line."""
        ...

    def finish_with(self, result: ImportResult) -> None:
        """The import committed: hand it over and close."""
        ...

    def next(self) -> None:
        """Go on to the next page (``QWizard.next``)."""
        ...
