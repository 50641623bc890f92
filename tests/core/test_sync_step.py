"""A sync as a step of the window's undo stack (``SyncRunCommand`` on ``CommandStack``), when
the file changed under it: a run undone elsewhere is not undone twice (the step moves to
Redo, which applies it again); a run undone and synced again as a new run (``citymgr
sync-undo`` then ``citymgr sync``) is refused with StaleStepError, the file untouched and the
step dropped. Without Qt."""

from __future__ import annotations

import pytest

from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.errors import StaleStepError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync.commands import SyncRunCommand
from tests.core.sync_support import checkout, dump, edit, row, sync, undo, uuids


@pytest.fixture
def synced(small_district, tmp_path):
    pkg = tmp_path / "pkg.gpkg"
    checkout(small_district, pkg, surveyor="s1")
    (b,) = uuids(pkg, "litter_bin", limit=1)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET name = '现场名' WHERE asset_uuid = ?", (b,))
    rep = sync(small_district, pkg)
    return small_district, pkg, rep, b


def stack_with(store: Store, rep) -> tuple[CommandStack, list[set[str]]]:
    changed: list[set[str]] = []
    stack = CommandStack()
    stack.push(SyncRunCommand(store, rep.sync_uuid, "Sync pkg.gpkg", {"litter_bin"}, "office",
                              on_change=changed.append))
    return stack, changed


def test_undone_elsewhere_the_undo_only_moves_and_redo_applies_it_again(synced):
    master, _, rep, b = synced
    with Store.open(master) as store:
        stack, changed = stack_with(store, rep)
        undo(master, rep.sync_id)  # the history tab, or the CLI
        before = dump(master, skip=set())
        stack.undo()
        assert dump(master, skip=set()) == before and stack.can_redo()
        assert changed == [{"litter_bin"}]
        stack.redo()
        assert row(master, "litter_bin", b)["name"] == "现场名" and stack.can_undo()


def test_synced_again_as_a_new_run_the_step_is_refused_and_dropped(synced):
    master, pkg, rep, b = synced
    with Store.open(master) as store:
        stack, changed = stack_with(store, rep)
        undo(master, rep.sync_id)
        again = sync(master, pkg)
        assert again.sync_id == rep.sync_id and again.sync_uuid != rep.sync_uuid
        before = dump(master, skip=set())
        with pytest.raises(StaleStepError) as err:
            stack.undo()
        assert "synced again" in str(err.value) and f"sync-undo {master}" in str(err.value)
        assert dump(master, skip=set()) == before and row(master, "litter_bin", b)["name"] \
            == "现场名"
        assert len(stack) == 0 and not stack.can_redo() and changed == []
