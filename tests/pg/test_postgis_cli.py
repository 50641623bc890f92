"""The command line on a database: info, edit, publish, snapshot; faults are one line with
the right exit code; 20 editor processes at once lose no update."""

from __future__ import annotations

import concurrent.futures
import json
import time

import psycopg
import pytest

from tests.pg.conftest import run_citymgr


def test_publish_info_edit_snapshot_through_the_command_line(pg_url, small_district, tmp_path):
    first = run_citymgr("publish", str(small_district), pg_url)
    assert first.returncode == 0, first.stderr
    assert "schema created" in first.stdout
    again = run_citymgr("publish", str(small_district), pg_url, "--json")
    assert json.loads(again.stdout)["inserted"]["litter_bin"] == 0
    info = run_citymgr("info", pg_url, "--json")
    assert info.returncode == 0, info.stderr
    described = json.loads(info.stdout)
    assert described["asset_project"] and "粮道街道" in described["districts"]
    edit = run_citymgr("edit", pg_url, "--layer", "litter_bin", "--where", "condition >= 4",
                       "--set", "condition=3", "--user", "张三", "--json")
    assert edit.returncode == 0, edit.stderr
    assert json.loads(edit.stdout)["changed"] > 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE condition >= 4"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE updated_by = '张三'"
                            ).fetchone()[0] == json.loads(edit.stdout)["changed"]
    out = tmp_path / "offline.gpkg"
    snap = run_citymgr("snapshot", pg_url, "--out", str(out))
    assert snap.returncode == 0, snap.stderr
    valid = run_citymgr("validate", str(out))
    assert valid.returncode == 0, valid.stdout + valid.stderr


def _one_line_error(result, code: int, words: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_faults_are_one_line_with_the_right_exit_code(pg_cluster, pg_url):
    down = run_citymgr("info", "postgresql://citymgr@127.0.0.1:1/city")
    _one_line_error(down, 11, "cannot connect to the database")
    pg_cluster.psql(pg_url.rsplit("/", 1)[1], "CREATE ROLE engineer LOGIN PASSWORD 'right'")
    wrong = run_citymgr("info", pg_cluster.url(pg_url.rsplit("/", 1)[1], "engineer", "wrong"))
    _one_line_error(wrong, 11, "password authentication failed")
    assert "wrong" not in wrong.stderr  # the password is never printed
    bare = pg_cluster.create_database(pg_url.rsplit("/", 1)[1] + "_bare", postgis=False)
    _one_line_error(run_citymgr("info", bare), 5, "PostGIS extension is not installed")
    not_ours = run_citymgr("edit", pg_url, "--layer", "litter_bin", "--where", "true",
                           "--set", "condition=3")
    _one_line_error(not_ours, 5, "not a citymgr project")
    zh = run_citymgr("info", "postgresql://citymgr@127.0.0.1:1/city", "--lang", "zh_CN")
    assert zh.returncode == 11 and "无法连接数据库。 服务器消息：" in zh.stderr
    _one_line_error(zh, 11, "Connection refused")  # the app shows it on a line of its own


def _wait_for_waiters(conn, count: int, timeout: float = 240.0) -> None:
    """Until ``count`` other sessions wait for the lock on litter_bin."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
            "'litter_bin'::regclass").fetchone()[0]
        if waiting >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"only {waiting} of {count} editors reached the database")


def test_twenty_editor_processes_lose_no_update(published):
    """25 ``citymgr edit`` processes read the same rows, then save at the same moment (the
    test holds a lock that blocks writes until all of them wait to write). Twenty each set their own
    field of one of four assets: every value lands, merged into the others' saves. Five set
    the same field of a fifth asset: each lands or reports a conflict, and the version
    counts exactly the saves that landed."""
    with psycopg.connect(published) as conn:
        uuids = [r[0] for r in conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 5")]
    fields = {"remarks": "备注{i}", "name": "名称{i}", "source_id": "S{i}",
              "capacity_l": "{cap}", "condition": "{cond}"}
    jobs = []
    for i in range(20):
        uuid = uuids[i % 4]
        name, template = list(fields.items())[i // 4]
        jobs.append((uuid, name, template.format(i=i, cap=100 + i, cond=1 + i % 5)))
    racers = [(uuids[4], "remarks", f"抢{i}") for i in range(5)]

    def edit(job):
        uuid, name, value = job
        return job, run_citymgr("edit", published, "--layer", "litter_bin", "--where",
                                f"asset_uuid = '{uuid}'", "--set", f"{name}={value}",
                                "--user", f"editor-{value}", "--json")

    gate = psycopg.connect(published)
    # SHARE mode lets every editor read but holds each one's first write: all 25 have read
    # the rows as they were before any of them saves (a lock that also blocked reads let a
    # late editor read after an early one had saved, and then the race had no conflict).
    gate.execute("LOCK TABLE litter_bin IN SHARE MODE")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
            futures = [pool.submit(edit, job) for job in jobs + racers]
            with psycopg.connect(published, autocommit=True) as watch:
                _wait_for_waiters(watch, 25)
            gate.commit()  # all 25 have read; now they save over each other
            results = [f.result() for f in futures]
    finally:
        gate.close()
    with psycopg.connect(published) as conn:
        merged = 0
        for (uuid, name, value), result in results[:20]:
            assert result.returncode == 0, result.stderr
            merged += json.loads(result.stdout)["merged"]
            got = conn.execute(f'SELECT "{name}"::text FROM litter_bin WHERE asset_uuid = %s',
                               (uuid,)).fetchone()[0]
            assert got == value, (uuid, name, value, got)
        assert merged > 0  # the saves really overlapped
        for uuid in uuids[:4]:
            assert conn.execute("SELECT version FROM litter_bin WHERE asset_uuid = %s",
                                (uuid,)).fetchone()[0] == 1 + 5  # five saves, each counted
        race = results[20:]
        assert {r.returncode for _, r in race} <= {0, 9}, [r.stderr for _, r in race]
        landed = [job[2] for job, r in race if r.returncode == 0]
        conflicts = [r for _, r in race if r.returncode == 9]
        assert conflicts, "five editors of one field, reading at once: some must conflict"
        for r in conflicts:
            reported = json.loads(r.stdout)["conflicts"]
            assert [c["field"] for c in reported] == ["remarks"]
            assert json.loads(r.stdout)["changed"] == 0  # its only field went to another
            assert len(r.stderr.strip().splitlines()) == 1
        final, version = conn.execute("SELECT remarks, version FROM litter_bin WHERE "
                                      "asset_uuid = %s", (uuids[4],)).fetchone()
        assert final in landed and version == 1 + len(landed)


def test_render_draws_the_database(published, tmp_path):
    from PIL import Image

    out = tmp_path / "map.png"
    result = run_citymgr("render", published, "--out", str(out), "--size", "800x600",
                         env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    image = Image.open(out).convert("RGB")
    colours = {c for _, c in image.getcolors(800 * 600)}
    assert (26, 152, 80) in colours or len(colours) > 50  # condition colours were drawn
    themed = run_citymgr("render", published, "--out", str(tmp_path / "t.png"), "--size",
                         "800x600", "--theme", "poor-assets", env={"QT_QPA_PLATFORM": "offscreen"})
    assert themed.returncode == 0, themed.stderr  # the hot-spot grid counted in the database
    assert Image.open(tmp_path / "t.png").convert("RGB").tobytes() != image.tobytes()


def test_validate_a_database(published):
    ok = run_citymgr("validate", published)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "valid" in ok.stdout
    with psycopg.connect(published) as conn:
        conn.execute("SET session_replication_role = replica")  # a tool that skips triggers
        conn.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                     "record_date, record_type) SELECT 'orphan-1', asset_class, "
                     "'no-such-asset', record_date, record_type FROM maintenance_record "
                     "LIMIT 1")
        conn.execute("UPDATE green_space SET geom = ST_Multi(ST_GeomFromText("
                     "'POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))', 4547)) WHERE fid = 1")
    bad = run_citymgr("validate", published, "--json")
    assert bad.returncode == 8, bad.stderr
    found = {(p["where"], p["message"]) for p in json.loads(bad.stdout)["problems"]}
    assert ("maintenance_record", "1 record(s) point at no asset") in found
    assert ("green_space", "1 missing, empty or invalid geometries") in found


def test_history_add_and_list_on_a_database(published):
    with psycopg.connect(published) as conn:
        uuid, before = conn.execute("SELECT asset_uuid, condition FROM litter_bin "
                                    "WHERE condition IS NOT NULL ORDER BY fid LIMIT 1"
                                    ).fetchone()
        count = conn.execute("SELECT count(*) FROM maintenance_record WHERE asset_uuid = %s",
                             (uuid,)).fetchone()[0]
    after = 1 if before != 1 else 2
    added = run_citymgr("history", "add", published, "--asset", uuid, "--type",
                        "inspection", "--date", "2099-01-02", "--condition-after", str(after),
                        "--user", "李四")
    assert added.returncode == 0, added.stderr
    listed = run_citymgr("history", "list", published, "--asset", uuid, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == count + 1
    assert rows[0]["record_date"] == "2099-01-02" and rows[0]["created_by"] == "李四"
    assert rows[0]["condition_before"] == before
    with psycopg.connect(published) as conn:  # the inspection rule set the asset's condition
        assert conn.execute("SELECT condition FROM litter_bin WHERE asset_uuid = %s",
                            (uuid,)).fetchone()[0] == after
    missing = run_citymgr("history", "list", published, "--asset", "no-such-asset")
    _one_line_error(missing, 10, "no asset with uuid")


def test_workorders_list_on_a_database(published, small_district):
    ours = run_citymgr("workorders", "list", published, "--json")
    theirs = run_citymgr("workorders", "list", str(small_district), "--json")
    assert ours.returncode == 0, ours.stderr
    assert json.loads(ours.stdout) == json.loads(theirs.stdout)


def test_a_district_role_cannot_change_another_districts_asset(pg_cluster, published):
    dbname = published.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "CREATE ROLE li_si LOGIN PASSWORD 'pw-li'")
    granted = run_citymgr("db", "grant", published, "--role", "li_si", "--district", "粮道街道")
    assert granted.returncode == 0, granted.stderr
    as_li = pg_cluster.url(dbname, "li_si")
    env = {"PGPASSWORD": "pw-li"}  # libpq's own way; never on the command line or stored
    own = run_citymgr("edit", as_li, "--layer", "litter_bin", "--where",
                      "district = '粮道街道'", "--set", "remarks=李四查", "--json", env=env)
    assert own.returncode == 0, own.stderr
    assert json.loads(own.stdout)["changed"] > 0
    other = run_citymgr("edit", as_li, "--layer", "litter_bin", "--where",
                        "district = '积玉桥街道'", "--set", "remarks=越权", env=env)
    _one_line_error(other, 4, "row-level security")
    # the database refuses it itself, whatever the client
    with psycopg.connect(as_li, password="pw-li") as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0] > 0  # reads all
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="积玉桥街道"):
            conn.execute("UPDATE litter_bin SET remarks = 'sql' WHERE district = '积玉桥街道'")
        conn.rollback()
        try:
            conn.execute("UPDATE litter_bin SET district = '积玉桥街道' WHERE district = "
                         "'粮道街道'")
            raise AssertionError("moving an asset out of the role's district was allowed")
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks IN ('越权', 'sql')"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = '李四查' AND "
                            "district = '粮道街道' AND db_user = 'li_si'").fetchone()[0] > 0
    reader = run_citymgr("db", "grant", published, "--role", "nobody_here", "--district", "x")
    _one_line_error(reader, 10, "no database role")


def test_concurrent_work_order_creation_takes_distinct_case_numbers(published):
    """Eight ``workorders create`` processes at once (reading while the test holds the order
    table): every order lands with its own case number of the day, with its assets."""
    gate = psycopg.connect(published)
    gate.execute("LOCK TABLE work_order IN ACCESS EXCLUSIVE MODE")

    def create(i: int):
        return run_citymgr("workorders", "create", published, "--layer", "litter_bin",
                           "--where", f"condition = {1 + i % 5}", "--priority", "urgent",
                           "--title", f"并发工单 {i}", "--json")

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(create, i) for i in range(8)]
            with psycopg.connect(published, autocommit=True) as watch:
                deadline = time.monotonic() + 240
                while time.monotonic() < deadline:
                    waiting = watch.execute(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                        "'work_order'::regclass").fetchone()[0]
                    if waiting >= 8:
                        break
                    time.sleep(0.2)
            gate.commit()
            results = [f.result() for f in futures]
    finally:
        gate.close()
    for r in results:
        assert r.returncode == 0, r.stderr
    cases = [json.loads(r.stdout)["case_no"] for r in results]
    assert len(set(cases)) == 8
    with psycopg.connect(published) as conn:
        for case, r in zip(cases, results, strict=True):
            count = conn.execute("SELECT count(*) FROM work_order_asset a JOIN work_order o "
                                 "USING (work_order_uuid) WHERE o.case_no = %s",
                                 (case,)).fetchone()[0]
            assert count == json.loads(r.stdout)["assets"] > 0
    listed = run_citymgr("workorders", "list", published, "--json")
    assert set(cases) <= {o["case_no"] for o in json.loads(listed.stdout)}


def test_workorders_move_on_a_database_closes_an_order_with_its_records(published):
    with psycopg.connect(published) as conn:
        case, wid = conn.execute("SELECT case_no, work_order_uuid FROM work_order WHERE "
                                 "state = 'checked' ORDER BY case_no LIMIT 1").fetchone()
        before = conn.execute("SELECT count(*) FROM maintenance_record WHERE "
                              "work_order_uuid = %s", (wid,)).fetchone()[0]
    moved = run_citymgr("workorders", "move", published, case, "--to", "closed", "--user",
                        "王五", "--note", "验收合格", "--json")
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["state"] == "closed"
    with psycopg.connect(published) as conn:
        state, db_user = conn.execute("SELECT state, db_user FROM work_order WHERE case_no = %s",
                                      (case,)).fetchone()
        after = conn.execute("SELECT count(*) FROM maintenance_record WHERE "
                             "work_order_uuid = %s", (wid,)).fetchone()[0]
        links = conn.execute("SELECT count(*) FROM work_order_asset WHERE work_order_uuid = %s",
                             (wid,)).fetchone()[0]
    assert state == "closed" and db_user
    assert after == before + links  # one closing record per asset
    illegal = run_citymgr("workorders", "move", published, case, "--to", "filed")
    _one_line_error(illegal, illegal.returncode, "closed")
    assert illegal.returncode != 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_workorders_export_on_a_database_writes_what_the_file_writes(published, small_district,
                                                                       tmp_path, fmt):
    ours = run_citymgr("workorders", "export", published, "--format", fmt, "--out",
                       str(tmp_path / f"db.{fmt}"), "--json")
    theirs = run_citymgr("workorders", "export", str(small_district), "--format", fmt,
                         "--out", str(tmp_path / f"file.{fmt}"), "--json")
    assert ours.returncode == 0, ours.stderr
    assert theirs.returncode == 0, theirs.stderr
    a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
    assert (a["orders"], a["assets"]) == (b["orders"], b["assets"]) and a["orders"] > 0
    if fmt == "csv":
        assert (tmp_path / "db.csv").read_text(encoding="utf-8-sig") == \
            (tmp_path / "file.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("extra", [[], ["--atlas", "district"]])
def test_print_map_on_a_database_plans_what_the_file_plans(published, small_district, tmp_path,
                                                           extra):
    ours = run_citymgr("print-map", published, "--out", str(tmp_path / "db.pdf"), "--json",
                       *extra)
    theirs = run_citymgr("print-map", str(small_district), "--out", str(tmp_path / "file.pdf"),
                         "--json", *extra)
    assert ours.returncode == 0, ours.stderr
    assert theirs.returncode == 0, theirs.stderr
    a, b = json.loads(ours.stdout), json.loads(theirs.stdout)
    for d in (a, b):
        d.pop("out"), d.pop("seconds", None)
    # the file's extents come from its rtree (float32 boxes, rounded outwards): within a metre
    assert a.pop("extent", [0] * 4) == pytest.approx(b.pop("extent", [0] * 4), abs=1.0)
    assert a == b


def test_locate_on_a_database_finds_what_it_finds_in_the_file(published, small_district):
    with psycopg.connect(published) as conn:
        code, name = conn.execute("SELECT obj_code, name FROM litter_bin ORDER BY fid "
                                  "LIMIT 1").fetchone()
    for text in (code, code[:12], name[:3]):
        db = run_citymgr("locate", published, text, "--json")
        gpkg = run_citymgr("locate", str(small_district), text, "--json")
        assert db.returncode == 0 and gpkg.returncode == 0, db.stderr + gpkg.stderr
        assert json.loads(db.stdout) == json.loads(gpkg.stdout), text
    for nothing in (run_citymgr("locate", published, "100%_no"),
                    run_citymgr("locate", str(small_district), "100%_no")):
        assert nothing.returncode == 10 and "100%_no" in nothing.stderr  # not found
    with psycopg.connect(published) as conn:  # a colleague's id, as an import keeps it
        conn.execute("UPDATE litter_bin SET source_id = 'HW-LD-0002' WHERE obj_code = %s",
                     (code,))
    for text in ("HW-LD-0002", "hw-ld-000"):
        found = json.loads(run_citymgr("locate", published, text, "--json").stdout)
        assert [r["obj_code"] for r in found] == [code], text
    exact = json.loads(run_citymgr("locate", published, code, "--json").stdout)
    assert [r["obj_code"] for r in exact] == [code]
    shown = run_citymgr("locate", published, code)
    assert code in shown.stdout and "1 asset(s)" in shown.stdout


def test_a_role_without_a_grant_is_told_so_and_a_password_is_never_printed(pg_cluster,
                                                                          published):
    """A role the owner never granted sees one line naming the missing grant (not "not a
    citymgr project", which would invite a publish over the live project); a password in the
    URL is masked in every line validate prints; info says the owner may write."""
    dbname = published.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "CREATE ROLE wang_wu LOGIN PASSWORD 'pw-wang'")
    as_wang = pg_cluster.url(dbname, "wang_wu", "pw-wang")
    for command in (["info", as_wang], ["validate", as_wang],
                    ["edit", as_wang, "--layer", "litter_bin", "--where", "true", "--set",
                     "remarks=x"]):
        result = run_citymgr(*command)
        _one_line_error(result, 4, "may not read the citymgr tables")
        assert "db grant" in result.stderr and "pw-wang" not in result.stderr
    pg_cluster.psql(dbname, "ALTER ROLE wang_wu SUPERUSER")  # now the tables are readable
    shown = run_citymgr("validate", as_wang)
    assert shown.returncode == 0, shown.stderr
    assert "pw-wang" not in shown.stdout + shown.stderr and "***" in shown.stdout
    described = run_citymgr("validate", as_wang, "--json")
    assert "pw-wang" not in described.stdout
    info = json.loads(run_citymgr("info", published, "--json").stdout)
    assert info["database"] and info["asset_project"] and not info["read_only"]


def test_a_command_that_needs_a_file_says_so_for_a_database(published, tmp_path):
    """Given a database where it needs a file, a command says so and points at a snapshot;
    an existing snapshot target names --overwrite."""
    result = run_citymgr("layers", "list", published)
    _one_line_error(result, 3, "needs a project file, not a database")
    assert "citymgr snapshot" in result.stderr
    out = tmp_path / "copy.gpkg"
    assert run_citymgr("snapshot", published, "--out", str(out)).returncode == 0
    _one_line_error(run_citymgr("snapshot", published, "--out", str(out)), 3, "--overwrite")
