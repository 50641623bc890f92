"""A throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests: ``initdb`` as the
``postgres`` user (PostgreSQL refuses to run as root) in a temporary directory, ``pg_ctl``
on a free port with its socket in that directory, removed at the end.

Used by ``tests/pg/conftest.py``; the benchmarks may start one the same way.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("CITYMGR_PG_BIN", "/usr/lib/postgresql/15/bin"))
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")


def have_postgis() -> bool:
    """True when the server binaries and the PostGIS extension are installed."""
    return (PG_BIN / "initdb").exists() and POSTGIS_CONTROL.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs a server binary as a non-root user."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class Cluster:
    """A running cluster: ``url(db)`` for a client, ``psql(db, sql)`` as its superuser."""

    root: Path
    port: int
    superuser: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, dbname: str, user: str | None = None, password: str | None = None) -> str:
        who = user or self.superuser
        auth = f"{who}:{password}@" if password else f"{who}@"
        return f"postgresql://{auth}127.0.0.1:{self.port}/{dbname}"

    def psql(self, dbname: str, sql: str) -> str:
        out = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", self.superuser, "-d", dbname,
             "-c", sql], capture_output=True, text=True, check=True,
            env={**os.environ, "PGPASSWORD": ""})
        return out.stdout

    def create_database(self, dbname: str, *, postgis: bool = True) -> str:
        self.psql("postgres", f'CREATE DATABASE "{dbname}"')
        if postgis:
            self.psql(dbname, "CREATE EXTENSION postgis")
        return self.url(dbname)

    def stop(self) -> None:
        subprocess.run([*_as_server_user(), str(PG_BIN / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb + pg_ctl start; trust for local connections of the superuser (the tests'
    own roles get passwords: ``md5``/``scram`` for them is set in ``pg_hba.conf``)."""
    root = Path(tempfile.mkdtemp(prefix="citymgr-pg-"))
    root.chmod(0o755)
    (root / "sock").mkdir()
    prefix = _as_server_user()
    owner = "postgres" if prefix else pwd.getpwuid(os.geteuid()).pw_name
    if prefix:
        shutil.chown(root, "postgres")
        shutil.chown(root / "sock", "postgres")
    data = root / "data"
    subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", owner,
                    "-E", "UTF8", "--locale=C.UTF-8", "--auth=trust"],
                   capture_output=True, check=True)
    hba = (f"local all {owner} trust\nhost all {owner} 127.0.0.1/32 trust\n"
           "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n")
    (data / "pg_hba.conf").write_text(hba)
    port = _free_port()
    opts = (f"-p {port} -k {root / 'sock'} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100 -c shared_buffers=32MB")
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-w",
                    "-l", str(root / "server.log"), "start"], capture_output=True, check=True)
    return Cluster(root, port, owner)
