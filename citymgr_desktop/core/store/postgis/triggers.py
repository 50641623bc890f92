"""The database's own rules, as the GeoPackage's triggers (``gpkg/tables.py:
create_integrity_triggers``): a maintenance record or work-order link must name an existing
asset of its class; an asset with history or work orders is retired, never deleted, and
keeps its uuid. Plus what only a server can know: ``db_user``, the database login that last
wrote each row (``current_user``), whatever the client put in ``updated_by``; and a row's
``version`` (with ``updated_at`` and ``updated_by``) moves on with every change, also one
from a client that knows nothing of it (QGIS, psql): citymgr's optimistic save (``UPDATE …
WHERE version = <read>``, ``postgis/write.py``) then sees that change and merges instead of
writing over it.

QGIS and any other client hit the same rules; they are PL/pgSQL trigger functions.
"""

from __future__ import annotations

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis.connection import ident
from citymgr_desktop.core.store.write import pci_grade_case_sql

DB_USER_COLUMN = "db_user"
PCI_GRADE_TRIGGER = "road_segment_pci_grade"
LINK_TABLES = ("maintenance_record", "work_order_asset")


def _asset_exists(row: str) -> str:
    return " OR ".join(
        f"({row}.asset_class = '{t.name}' AND EXISTS (SELECT 1 FROM {ident(t.name)} "
        f"WHERE asset_uuid = {row}.asset_uuid))" for t in sc.ASSET_TABLES)


def _referenced(row: str) -> str:
    return (f"EXISTS (SELECT 1 FROM maintenance_record WHERE asset_uuid = {row}.asset_uuid) "
            f"OR EXISTS (SELECT 1 FROM work_order_asset WHERE asset_uuid = {row}.asset_uuid)")


# an UPDATE that left ``version`` as it was: the writer knows nothing of it. An update
# that changes nothing but what the database derives (db_user; a road's pci_grade, derived
# by ``pci_grade_ddl``'s trigger before this one, and set again by citymgr's own second
# statement of a save where a database lacks it) is no new version; ``updated_at``/``updated_by``
# (trigger argument 'stamped': the table has them) are set unless the writer set them, in
# the app's form (UTC, milliseconds, Z) and to the database login
VERSION_DDL = (
    "CREATE OR REPLACE FUNCTION citymgr_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF to_jsonb(NEW) - 'db_user' - 'pci_grade' = to_jsonb(OLD) - 'db_user' - "
    "'pci_grade' THEN RETURN NEW; END IF; NEW.version := OLD.version + 1; "
    "IF TG_NARGS > 0 THEN "
    "IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN NEW.updated_at := "
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'); "
    "END IF; IF NEW.updated_by IS NOT DISTINCT FROM OLD.updated_by THEN "
    "NEW.updated_by := current_user; END IF; END IF; RETURN NEW; END $$")


def version_trigger_name(table: sc.Table) -> str:
    return table.name + "_version"


def version_trigger(table: sc.Table) -> str:
    """The trigger that counts ``table``'s updates by other clients (see ``VERSION_DDL``);
    its WHEN keeps citymgr's own updates (``version = version + 1``) free of any call."""
    stamped = {"updated_at", "updated_by"} <= set(table.field_names())
    argument = "'stamped'" if stamped else ""
    return (f"CREATE TRIGGER {ident(version_trigger_name(table))} BEFORE UPDATE ON "
            f"{ident(table.name)} FOR EACH ROW WHEN (NEW.version IS NOT DISTINCT FROM "
            f"OLD.version) EXECUTE FUNCTION citymgr_version({argument})")


def pci_grade_ddl() -> list[str]:
    """A road's ``pci_grade`` is derived from its ``pci`` and ``road_class`` (the model's
    rule, as the GeoPackage store derives it): the database derives it on every insert and
    update, whatever the client, so a QGIS or SQL edit of ``pci`` gets its grade, and one
    of ``pci_grade`` alone is put back (nothing of the person's is lost: it was never theirs
    to set, and it is no new version). The WHEN keeps rows that already have their grade (a
    publish, citymgr's own saves) free of any call. Fires before ``…_version`` (triggers
    fire by name)."""
    case = pci_grade_case_sql("NEW.")
    return [
        "CREATE OR REPLACE FUNCTION citymgr_pci_grade() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN NEW.pci_grade := {case}; RETURN NEW; END $$",
        f"DROP TRIGGER IF EXISTS {PCI_GRADE_TRIGGER} ON road_segment",
        f"CREATE TRIGGER {PCI_GRADE_TRIGGER} BEFORE INSERT OR UPDATE ON road_segment FOR EACH "
        f"ROW WHEN (NEW.pci_grade IS DISTINCT FROM ({case})) EXECUTE FUNCTION "
        "citymgr_pci_grade()"]


def trigger_ddl() -> list[str]:
    """The functions and triggers, for a new schema (after the tables)."""
    out = [
        "CREATE FUNCTION citymgr_link_exists() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NOT ({_asset_exists('NEW')}) THEN RAISE EXCEPTION "
        "'%.asset_uuid must name an existing asset of its asset_class', TG_TABLE_NAME "
        "USING ERRCODE = 'foreign_key_violation'; END IF; RETURN NEW; END $$",
        "CREATE FUNCTION citymgr_keep_history() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN "
        f"IF {_referenced('OLD')} THEN RAISE EXCEPTION 'asset has maintenance history or "
        "work orders: retire it instead of deleting' USING ERRCODE = 'restrict_violation'; "
        "END IF; RETURN OLD; END IF; "
        f"IF NEW.asset_uuid IS DISTINCT FROM OLD.asset_uuid AND ({_referenced('OLD')}) THEN "
        "RAISE EXCEPTION 'asset_uuid of an asset with history cannot change' "
        "USING ERRCODE = 'restrict_violation'; END IF; RETURN NEW; END $$",
        "CREATE FUNCTION citymgr_db_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.{DB_USER_COLUMN} := current_user; RETURN NEW; END $$",
    ]
    for link in LINK_TABLES:
        out.append(f"CREATE TRIGGER {ident(link + '_asset_exists')} BEFORE INSERT OR UPDATE OF "
                   f"asset_uuid, asset_class ON {ident(link)} FOR EACH ROW EXECUTE FUNCTION "
                   "citymgr_link_exists()")
    for t in sc.ASSET_TABLES:
        out.append(f"CREATE TRIGGER {ident(t.name + '_keep_history')} BEFORE DELETE OR UPDATE "
                   f"OF asset_uuid ON {ident(t.name)} FOR EACH ROW EXECUTE FUNCTION "
                   "citymgr_keep_history()")
    for t in sc.ALL_TABLES:  # link rows too: every write says who made it
        out.append(f"ALTER TABLE {ident(t.name)} ADD COLUMN {DB_USER_COLUMN} text "
                   "DEFAULT current_user")
        # WHEN is evaluated without calling the function: a publish of a million rows
        # (db_user from the column's DEFAULT) costs no PL/pgSQL call per row
        out.append(f"CREATE TRIGGER {ident(t.name + '_db_user')} BEFORE INSERT OR UPDATE ON "
                   f"{ident(t.name)} FOR EACH ROW WHEN (NEW.{DB_USER_COLUMN} IS DISTINCT FROM "
                   "current_user) EXECUTE FUNCTION citymgr_db_user()")
    out.append(VERSION_DDL)
    out += [version_trigger(t) for t in sc.ALL_TABLES]
    return out + pci_grade_ddl()
