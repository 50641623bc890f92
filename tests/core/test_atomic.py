"""The one atomic writer: a target another program holds open fails at the rename (a
sharing violation on Windows is a PermissionError there); that is one line and the old file
stays as it was."""

from __future__ import annotations

import os

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.errors import BadFileError


def _refuse_rename_onto(monkeypatch, target):
    real = os.replace

    def replace(src, dst, *a, **kw):
        if os.fspath(dst) == os.fspath(target):
            raise PermissionError(13, "The process cannot access the file because it is "
                                  "being used by another process", os.fspath(dst))
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", replace)


def test_a_target_in_use_is_one_error_and_stays_as_it_was(tmp_path, monkeypatch):
    target = tmp_path / "orders.csv"
    target.write_text("old", encoding="utf-8")
    _refuse_rename_onto(monkeypatch, target)
    with pytest.raises(BadFileError, match="open in another program") as err, \
            atomic_path(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert "orders.csv" in str(err.value) and "\n" not in str(err.value)
    assert "其他程序" in err.value.render("zh_CN")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


def test_cli_export_over_a_file_in_use_prints_one_line(small_district, tmp_path, monkeypatch,
                                                       capsys):
    out = tmp_path / "orders.csv"
    out.write_text("old", encoding="utf-8")
    _refuse_rename_onto(monkeypatch, out)
    rc = main(["workorders", "export", str(small_district), "--format", "csv", "--out",
               str(out), "--overwrite"])
    err = capsys.readouterr().err
    assert rc == 3
    assert err.count("\n") == 1 and err.startswith("citymgr: error: ") and "Traceback" not in err
    assert "open in another program" in err
    assert out.read_text(encoding="utf-8") == "old"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="Linux's /proc")
def test_a_link_to_an_open_file_is_refused_not_followed_to_a_made_up_name(tmp_path):
    """``/dev/stdout`` redirected to a file is a link to ``/proc/self/fd/1``, whose text names
    the file (``… (deleted)`` once removed): the writer would make a new file of that name.
    A link whose end is not the file it opens is refused, and nothing is written."""
    gone = tmp_path / "gone.csv"
    with open(gone, "w", encoding="utf-8") as held:
        gone.unlink()
        fd_link = f"/proc/self/fd/{held.fileno()}"
        with pytest.raises(BadFileError) as err, atomic_path(fd_link) as tmp:
            tmp.write_text("new", encoding="utf-8")
    assert "link to an open file" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_a_dangling_link_is_written_through_to_its_new_target(tmp_path):
    link = tmp_path / "out.csv"
    link.symlink_to("made.csv")
    with atomic_path(link) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert link.is_symlink() and (tmp_path / "made.csv").read_text(encoding="utf-8") == "new"


def test_a_private_file_written_again_stays_private(small_district, tmp_path):
    """Review: the new file took the umask's 0644 over a target made 0600, so a file someone
    had made private became readable to all. Written again (directly and through a link),
    the target keeps its permission bits."""
    from tests.faults.support import run

    out = tmp_path / "bins.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(out.name)
    args = ["export", small_district, "--layer", "litter_bin", "--format", "csv", "--overwrite"]
    assert run([*args, "--out", out]).rc == 0
    out.chmod(0o600)
    for target in (out, link):
        res = run([*args, "--out", target])
        assert res.rc == 0, res.err
        assert (out.stat().st_mode & 0o777) == 0o600
    assert link.is_symlink()
