"""Benchmark: a field package coming back with many photos (default 500 of 3 MB).

A master of FEATURES features and a whole-file field package of it; PHOTOS inspections
added in the package as QField writes them (one record per bin, its ``photo`` field naming a
file in ``DCIM/``), each photo a real JPEG with EXIF padded to SIZE bytes with random data
(what a phone's 12 MP photo weighs; readers stop at the end-of-image marker). Then:

- the floors: copying those bytes (the same files read, written to another folder,
  fsynced), and storing them as BLOBs in a fresh SQLite file (one transaction, committed);
- ``citymgr sync`` (compare, merge, backup copy, records, reading and hashing the files into
  ``attachment``, journal, integrity check), its phase timings;
- the master's growth against the photos' bytes, GDAL's validator on the master;
- a second sync of the same package (nothing to do: no file is read again).

Files come from the page cache in both measurements (written just before, ``os.sync()``
between steps), so the comparison is of the work each does, not of the disk.

    python benchmarks/bench_photos.py                   # 500 photos of 3 MB
    python benchmarks/bench_photos.py --photos 50 --size 1000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VALIDATE = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"


def jpeg(i: int, size: int) -> bytes:
    """A small real JPEG with EXIF (time, GPS), then random bytes up to ``size``."""
    from PIL import Image

    img = Image.new("RGB", (320, 240), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = f"2026:11:25 {8 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:" \
                                   f"{i % 60:02d}"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (30.0, 35.0, 0.0), 3: "E", 4: (114.0, 18.0, float(i % 60))})
    import io

    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=85)
    data = out.getvalue()
    return data + os.urandom(max(0, size - len(data)))


def prepare(folder: Path, features: int, photos: int, size: int) -> tuple[Path, Path, int]:
    from citymgr_desktop.core import gpkg, sample
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import create_package

    master = folder / "district.gpkg"
    sample.generate(master, features=features, seed=11)
    pkg = folder / "field" / "package.gpkg"
    pkg.parent.mkdir()
    with Store.open(master) as store:
        create_package(store, pkg, surveyor="李四", history_years=0)
    conn = gpkg.connect(str(pkg))
    bins = [r[0] for r in conn.execute("SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT ?",
                                       (photos,))]
    if len(bins) < photos:
        sys.exit(f"only {len(bins)} litter bins in a {features}-feature district; use more "
                 "--features")
    total = 0
    conn.execute("BEGIN")
    for i, uuid in enumerate(bins):
        rel = f"DCIM/maintenance_record_20261125_{i:06d}.jpg"
        data = jpeg(i, size)
        (pkg.parent / rel).parent.mkdir(exist_ok=True)
        (pkg.parent / rel).write_bytes(data)
        total += len(data)
        conn.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                     "record_date, record_type, observation, condition_after, photo, "
                     "created_by) VALUES (lower(hex(randomblob(4)) || '-' || "
                     "hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a' || "
                     "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))), "
                     "'litter_bin', ?, '2026-11-25', 'inspection', '巡查拍照', 2, ?, '李四')",
                     (uuid, rel))
    conn.execute("COMMIT")
    conn.close()
    return master, pkg, total


def floor_copy(src: Path, dst: Path) -> float:
    """Seconds to copy every file of ``src`` to ``dst`` and make it durable."""
    dst.mkdir()
    t0 = time.perf_counter()
    for p in sorted(src.iterdir()):
        with p.open("rb") as fi, (dst / p.name).open("wb") as fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
            fo.flush()
            os.fsync(fo.fileno())
    return time.perf_counter() - t0


def sqlite_floor(src: Path, db: Path) -> float:
    """Seconds to store every file of ``src`` as a BLOB in a new SQLite file, in one
    transaction, committed: what keeping the bytes in a GeoPackage costs at least."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE blob (name TEXT, content BLOB)")
    conn.commit()
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    for p in sorted(src.iterdir()):
        conn.execute("INSERT INTO blob VALUES (?, ?)", (p.name, p.read_bytes()))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=20000)
    ap.add_argument("--photos", type=int, default=500)
    ap.add_argument("--size", type=int, default=3_000_000, help="bytes per photo")
    ap.add_argument("--keep", action="store_true", help="keep the files (printed)")
    args = ap.parse_args()
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import sync_package

    folder = Path(tempfile.mkdtemp(prefix="bench-photos-"))
    try:
        t0 = time.perf_counter()
        master, pkg, total = prepare(folder, args.features, args.photos, args.size)
        print(f"prepared {args.photos} photos ({total / 1e6:,.0f} MB) in "
              f"{time.perf_counter() - t0:.0f} s under {folder}")
        os.sync()
        floor = floor_copy(pkg.parent / "DCIM", folder / "copy")
        shutil.rmtree(folder / "copy")
        os.sync()
        blob_floor = sqlite_floor(pkg.parent / "DCIM", folder / "blobs.sqlite")
        (folder / "blobs.sqlite").unlink()
        os.sync()
        before = master.stat().st_size
        t0 = time.perf_counter()
        with Store.open(master) as store:
            rep = sync_package(store, pkg, user="bench")
        sync_s = time.perf_counter() - t0
        os.sync()
        after = master.stat().st_size
        t0 = time.perf_counter()
        with Store.open(master) as store:
            again = sync_package(store, pkg, user="bench")
        again_s = time.perf_counter() - t0
        conn = sqlite3.connect(master)
        stored = conn.execute("SELECT count(*), coalesce(sum(size_bytes), 0) FROM attachment "
                              "WHERE length(content) = size_bytes").fetchone()
        conn.close()
        valid = "skipped (no GDAL validator)"
        if Path(VALIDATE).exists():
            proc = subprocess.run(["/usr/bin/python3", VALIDATE, str(master)],
                                  capture_output=True, text=True)
            out = (proc.stdout + proc.stderr).strip()
            valid = "valid" if proc.returncode == 0 and not out else f"INVALID: {out[:200]}"
        t = rep.timings
        print(f"\n{'':38}{'seconds':>10}{'MB/s':>10}")
        mb = total / 1e6
        print(f"{'floor: copy the bytes (fsync)':38}{floor:>10.2f}{mb / floor:>10.0f}")
        print(f"{'floor: the bytes as SQLite BLOBs':38}{blob_floor:>10.2f}"
              f"{mb / blob_floor:>10.0f}")
        print(f"{'citymgr sync, whole':38}{sync_s:>10.2f}{mb / sync_s:>10.0f}")
        print(f"{'  of which: photos (read, hash, store)':38}{t.get('photos', 0):>10.2f}"
              f"{mb / max(t.get('photos', 1e-9), 1e-9):>10.0f}")
        for k in ("compare", "merge", "copies", "apply", "check"):
            print(f"{'  ' + k:38}{t.get(k, 0):>10.2f}")
        print(f"{'second sync (nothing to do)':38}{again_s:>10.2f}")
        print(f"\nratio sync / copy floor: {sync_s / floor:.2f}x (photos phase alone "
              f"{t.get('photos', 0) / floor:.2f}x); sync / BLOB floor: {sync_s / blob_floor:.2f}x")
        print(f"master {before / 1e6:,.1f} MB -> {after / 1e6:,.1f} MB: +{(after - before) / 1e6:,.1f}"
              f" MB for {mb:,.1f} MB of photos ({(after - before) / total:.3f}x)")
        print(f"attachments stored: {stored[0]} ({stored[1] / 1e6:,.1f} MB); status "
              f"{rep.status}, photos {rep.photos.get('loaded')} loaded; second sync "
              f"{again.status}; integrity {rep.integrity}; GeoPackage {valid}")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
