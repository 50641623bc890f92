"""The database login a target connects as, named in the app's password prompt (trial 8:
"Password for service=city_lisi:" did not say which login): a URL's user, a service's user
from the service file libpq reads, else PGUSER."""

from __future__ import annotations

from citymgr_desktop.core.store.targets import login_of


def test_the_login_of_a_url_a_service_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PGUSER", raising=False)
    monkeypatch.delenv("PGSYSCONFDIR", raising=False)
    services = tmp_path / "pg_service.conf"
    services.write_text("[city_lisi]\nhost=/tmp\nport=55439\ndbname=city\nuser=li_si\n\n"
                        "[city]\nhost=/tmp\ndbname=city\n", encoding="utf-8")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    assert login_of("service=city_lisi") == "li_si"
    assert login_of("postgresql://wang_wu:secret@127.0.0.1:5432/city") == "wang_wu"
    assert login_of("postgresql://127.0.0.1/city?user=%E6%9D%8E%E5%9B%9B") == "李四"
    assert login_of("service=city") is None  # libpq uses the OS login: not guessed
    assert login_of("service=nowhere") is None
    monkeypatch.setenv("PGUSER", "gis")
    assert login_of("service=city") == "gis"
    assert login_of("postgresql://127.0.0.1/city") == "gis"
