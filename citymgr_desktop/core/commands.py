"""Every user edit is a command: ``do``, ``undo`` and a human label, on a stack that gives
undo/redo, a limit, a clean (saved) marker and change notifications (after glue's
``core/command.py``). Tested without Qt; the UI's Edit menu listens to the stack. A label is a
:class:`~citymgr_desktop.core.messages.Message` (shown in the user's language), or text a
caller already wrote in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from citymgr_desktop.core.errors import StaleStepError
from citymgr_desktop.core.messages import Text, render


class Command(Protocol):
    """Something the user did, that can be undone and redone."""

    @property
    def label(self) -> Text: ...

    def do(self) -> None: ...

    def undo(self) -> None: ...


class CommandStack:
    """Undo/redo stack. ``push`` runs the command; a failing ``do`` leaves the stack as it was."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._clean_index: int | None = 0
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every change of the stack."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def push(self, command: Command) -> None:
        command.do()
        self._undo.append(command)
        if self._clean_index is not None and self._clean_index > len(self._undo) - 1:
            self._clean_index = None  # the saved state can no longer be reached by redo
        self._redo.clear()
        if len(self._undo) > self.limit:
            self._undo.pop(0)
            if self._clean_index is not None:
                self._clean_index -= 1
                if self._clean_index < 0:
                    self._clean_index = None
        self._changed()

    def undo(self) -> Text | None:
        """Undo the last command; returns its label (None if there was nothing). A command
        whose undo raises :class:`StaleStepError` is dropped from the stack (the error goes
        on to the caller); any other error leaves the stack as it was."""
        if not self._undo:
            return None
        cmd = self._undo[-1]
        self._step(cmd.undo, cmd)
        self._undo.pop()
        self._redo.append(cmd)
        self._changed()
        return cmd.label

    def redo(self) -> Text | None:
        if not self._redo:
            return None
        cmd = self._redo[-1]
        self._step(cmd.do, cmd)
        self._redo.pop()
        self._undo.append(cmd)
        self._changed()
        return cmd.label

    def _step(self, step: Callable[[], None], cmd: Command) -> None:
        try:
            step()
        except StaleStepError:
            self.drop(lambda c: c is cmd)  # the file changed under it: no longer a step
            raise

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_label(self, lang: str = "en") -> str | None:
        """What Undo would undo, in ``lang``."""
        return render(self._undo[-1].label, lang) if self._undo else None

    def redo_label(self, lang: str = "en") -> str | None:
        return render(self._redo[-1].label, lang) if self._redo else None

    def undo_command(self) -> Command | None:
        """The command Undo would undo (e.g. for a translated label)."""
        return self._undo[-1] if self._undo else None

    def redo_command(self) -> Command | None:
        return self._redo[-1] if self._redo else None

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean_index = len(self._undo)
        self._changed()

    def is_clean(self) -> bool:
        return self._clean_index == len(self._undo)

    def drop(self, predicate: Callable[[Command], bool]) -> None:
        """Forget the commands for which ``predicate`` holds, from undo and redo (their
        effect was thrown away, e.g. unsaved edits discarded); the others keep their order."""
        undo = [c for c in self._undo if not predicate(c)]
        redo = [c for c in self._redo if not predicate(c)]
        if len(undo) == len(self._undo) and len(redo) == len(self._redo):
            return
        if self._clean_index is not None:
            kept_before = sum(1 for c in self._undo[:self._clean_index] if not predicate(c))
            self._clean_index = kept_before if kept_before == len(undo) else None
        self._undo, self._redo = undo, redo
        self._changed()

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self._clean_index = 0
        self._changed()

    def __len__(self) -> int:
        return len(self._undo)
