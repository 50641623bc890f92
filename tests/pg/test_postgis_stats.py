"""The figures on a database through the command line: ``stats``, ``report --month`` and
``workorders limits/calendar`` take a ``postgresql://`` URL and print what they print for
the file it was published from (docs/statistics.md, docs/postgis.md)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.pg.conftest import run_citymgr


@pytest.mark.parametrize("figure", [[], ["--by", "layer,district,bgid"], ["--workorders"],
                                    ["--records", "--by", "month,layer,type"],
                                    ["--orders", "--by", "state,assignee"],
                                    ["--coverage", "--by", "layer,district"]])
def test_stats_of_a_database_are_the_files(published, small_district, figure):
    ours = run_citymgr("stats", published, *figure, "--json")
    theirs = run_citymgr("stats", str(small_district), *figure, "--json")
    assert ours.returncode == 0, ours.stderr
    assert json.loads(ours.stdout) == json.loads(theirs.stdout) != []


def test_the_monthly_report_from_a_database(published, small_district, tmp_path):
    ours = run_citymgr("report", published, "--month", "2026-10", "--out",
                       str(tmp_path / "db.pdf"), "--json")
    theirs = run_citymgr("report", str(small_district), "--month", "2026-10", "--out",
                         str(tmp_path / "file.pdf"), "--json")
    assert ours.returncode == 0, ours.stderr
    a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
    assert (a["pages"], a["overdue"]) == (b["pages"], b["overdue"]) and a["pages"] >= 3
    if shutil.which("pdftotext") is None:
        return
    texts = []
    for name in ("db.pdf", "file.pdf"):
        out = subprocess.run(["pdftotext", "-layout", str(tmp_path / name), "-"],
                             capture_output=True, text=True, check=True).stdout
        # the cover's "written at" minute and the database's name are the only differences
        texts.append([ln for ln in out.splitlines() if "small.gpkg" not in ln
                      and "citymgr_test" not in ln and ":" not in ln])
    assert texts[0] == texts[1]


def test_time_limits_and_calendar_on_a_database(published):
    limits = run_citymgr("workorders", "limits", published, "--set", "bridge", "1", "4",
                         "working_hours", "--json")
    assert limits.returncode == 0, limits.stderr
    assert {"asset_class": "bridge", "priority": 1, "value": 4.0,
            "unit": "working_hours"} in json.loads(limits.stdout)
    seeded = run_citymgr("workorders", "calendar", published, "--seed", "2027", "--json")
    assert seeded.returncode == 0, seeded.stderr
    again = run_citymgr("workorders", "calendar", published, "--year", "2027", "--json")
    seeded_2027 = [d for d in json.loads(seeded.stdout)["holidays"] if d.startswith("2027")]
    assert json.loads(again.stdout)["holidays"] == seeded_2027 != []
    bad = run_citymgr("workorders", "limits", published, "--set", "bridge", "9", "4",
                      "working_hours")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
