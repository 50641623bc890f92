"""Background tasks (ui/worker.py): a task's result reaches the UI only after its thread has
ended, so the receiver may close and delete the dialog that owns the task.

Before, ``done`` could arrive while the thread was still ending; a dialog closed in answer
(with WA_DeleteOnClose) then destroyed a running ``QThread`` and Qt aborted the whole app
("QThread: Destroyed while thread is still running"), seen with File > New field package….
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from citymgr_desktop.core.errors import CancelledError
from citymgr_desktop.ui.worker import run_task


def _answer(value: int, progress) -> int:
    progress.update(1, 1, "")
    return value * 2


def _refuse(progress) -> int:
    progress.cancel()
    progress.check()
    return 0


def test_a_dialog_closed_by_its_tasks_answer_outlives_nothing(qtbot, qapp):
    seen: list[tuple[str, object, bool]] = []
    for i in range(25):
        dialog = QDialog()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        holder: dict[str, object] = {}

        def answered(value, dialog=dialog, holder=holder):
            seen.append(("done", value, holder["task"].is_running()))
            dialog.close()  # deletes the dialog, and the task with its thread

        def failed(exc, dialog=dialog, holder=holder):
            seen.append(("error", type(exc).__name__, holder["task"].is_running()))
            dialog.close()

        fn, args = (_answer, (i,)) if i % 2 == 0 else (_refuse, ())
        with qtbot.waitSignal(dialog.destroyed, timeout=10_000):
            holder["task"] = run_task(dialog, "t", fn, *args, uses=None, on_done=answered,
                                      on_error=failed, show_dialog=False)
    assert [s[:2] for s in seen] == [("done", i * 2) if i % 2 == 0 else
                                     ("error", CancelledError.__name__) for i in range(25)]
    assert not any(running for _, _, running in seen)  # the thread had ended every time


def test_a_task_is_running_until_its_answer_has_been_sent(qtbot, qapp):
    """A dialog that waits for ``not task.is_running()`` finds the answer there: the
    thread ends just before ``done`` is sent (the sync dialog's preview found no report)."""
    from PySide6.QtCore import QCoreApplication

    for value in range(1, 31):
        got: list[object] = []
        task = run_task(None, "answer", _answer, value, uses=None, on_done=got.append,
                        show_dialog=False)
        while True:  # look between the events, as a waiting caller does
            running = task.is_running()
            assert running or got == [value * 2], "ended without its answer"
            if not running:
                break
            QCoreApplication.processEvents()
