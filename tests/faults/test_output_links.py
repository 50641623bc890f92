"""Every command that writes a file, given an output that is a symbolic link, a FIFO or ``-``:
a link is written through (its target gets the new file, the link stays a link); a FIFO (as
``/dev/stdout`` is when piped, or a device) is refused with one line and exit 3 before any
work, and stays a FIFO; ``-`` (standard output) is refused the same way. Real processes
(``support.run``), with the project of the fault suite; ``/dev/stdout`` itself is never
touched."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from tests.faults.support import assert_one_line_error, digest, leftovers, run
from tests.faults.test_full_disk import NEW_FILES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32",
                       reason="symbolic links and FIFOs (POSIX)"),
]

QT_NEEDED = {"render", "print-map pdf", "print-map png", "atlas", "export pdf", "report"}
OUTPUTS = sorted(name for name, (_, output) in NEW_FILES.items() if output is not None)
# one of each kind of writer for the slower link test (the FIFO is refused before any work)
THROUGH_LINKS = ["new", "field-package", "export pdf", "export xlsx", "export csv",
                 "export layer gpkg", "export layer csv", "render", "stats xlsx", "report"]


def _names(project, folder):
    photo = folder / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + os.urandom(1000))
    return {"f": project.master, "d": folder, "package": project.package,
            "asset": project.asset, "case": project.case, "photo": photo}


def _argv(name, names):
    template, output = NEW_FILES[name]
    argv = [part.format(**names) for part in template]
    if "--overwrite" not in argv:
        argv.append("--overwrite")
    return argv, names["d"] / output


@pytest.mark.parametrize("name", THROUGH_LINKS)
def test_an_output_that_is_a_link_is_written_through(name, project, tmp_path):
    if name in QT_NEEDED:
        pytest.importorskip("PySide6.QtGui")
    out_dir, real_dir = tmp_path / "out", tmp_path / "real"
    out_dir.mkdir()
    real_dir.mkdir()
    argv, output = _argv(name, _names(project, out_dir))
    target = real_dir / ("target" + output.suffix)
    target.write_bytes(b"old content")
    output.symlink_to(target)
    before = digest(project.master)

    result = run(argv, timeout=300)

    assert result.rc == 0, result.err
    assert output.is_symlink() and os.readlink(output) == str(target), "the link was replaced"
    assert stat.S_ISREG(target.lstat().st_mode)
    assert target.read_bytes() != b"old content" and target.stat().st_size > 100
    assert not leftovers(out_dir) and not leftovers(real_dir)
    if name != "field-package":  # a check-out records itself in the project
        assert digest(project.master) == before


@pytest.mark.parametrize("name", OUTPUTS)
def test_an_output_that_is_a_fifo_is_refused_before_any_work(name, project, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv, output = _argv(name, _names(project, out_dir))
    os.mkfifo(output)
    before = digest(project.master)

    result = run(argv, timeout=120)  # the old code replaced the FIFO by a file (or hung)

    message = assert_one_line_error(result, {3})
    assert str(output) in message and "not a regular file" in message, message
    assert stat.S_ISFIFO(output.lstat().st_mode), "the FIFO was replaced"
    assert digest(project.master) == before
    assert not leftovers(out_dir)


def test_a_link_to_a_fifo_and_a_dash_are_refused_too(project, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "bins.csv"
    link.symlink_to(fifo)
    base = ["export", project.master, "--layer", "litter_bin", "--format", "csv"]
    for overwrite in ([], ["--overwrite"]):  # refused whatever, not "already exists"
        message = assert_one_line_error(run([*base, "--out", link, *overwrite]), {3})
        assert "not a regular file" in message, message
    assert link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)

    dash = run([*base, "--out", "-"])
    message = assert_one_line_error(dash, {3})
    assert "standard output" in message, message
    assert dash.out == "" and not (tmp_path / "-").exists() and not os.path.exists("-")
    zh = run([*base, "--out", "-"], env={"CITYMGR_LANG": "zh_CN"})
    assert "标准输出" in assert_one_line_error(zh, {3})


def test_a_folder_through_a_link_is_refused(project, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    link = tmp_path / "bins.csv"
    link.symlink_to(folder)
    result = run(["export", project.master, "--layer", "litter_bin", "--out", link,
                  "--overwrite"])
    assert "folder" in assert_one_line_error(result, {3})
    assert link.is_symlink() and folder.is_dir() and not any(folder.iterdir())
