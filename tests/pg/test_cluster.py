"""The throwaway cluster itself: PostGIS answers."""

import psycopg


def test_cluster_has_postgis(pg_url):
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    assert version.startswith("3.")
