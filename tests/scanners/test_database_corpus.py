"""The labelled column corpus (``column_corpus.py``) through the real scanners: PostgreSQL,
MariaDB and SQL dumps of both dialects, judged on the held-out tables.

Floors: recall >= 0.95 over all labels and for every sensitive category, no decoy
flagged, no sensitive category on a column that does not hold it. ``python -m
tests.scanners.column_corpus`` prints the per-category table for both halves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from auditor.scanners.database import DatabaseScanner
from auditor.scanners.database.sqldump import SqlDumpScanner

from auditor.models import Observation
from tests.scanners.column_corpus import (
    CATEGORIES,
    HELD_OUT,
    TABLES,
    TUNING,
    load_mysql,
    load_postgres,
    score,
    write_dump,
)
from tests.scanners.dbsupport import ScanRun, assert_no_leak, my_scratch, pg_scratch, real_pii, run

_MEANINGLESS = re.compile(r"^(?:c\d+|field_\d+|Column\d+|col_[a-z]|[A-H]|q\d|t\d|data|extra)$")


def test_corpus_has_the_hard_cases() -> None:
    columns = [(t, c) for t in TABLES for c in t.columns]
    assert len(columns) >= 300
    assert {t.name for t in TUNING}.isdisjoint({t.name for t in HELD_OUT})
    decoys = [c for _, c in columns if not c.labels and not c.neutral]
    assert len(decoys) >= 150
    value_only = [c for _, c in columns if c.labels and _MEANINGLESS.match(c.name)]
    assert len(value_only) >= 30
    held_labels = {label for t in HELD_OUT for c in t.columns for label in c.labels}
    assert set(CATEGORIES) <= held_labels
    assert "CREDENTIAL" in held_labels
    forbidden = {label for _, c in columns for label in c.forbidden}
    assert {"HEALTH", "BIOMETRIC"} <= forbidden


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanRun]:
    out: dict[str, ScanRun] = {}
    tmp = tmp_path_factory.mktemp("corpus")
    for dialect in ("postgresql", "mysql"):
        dump = write_dump(Path(tmp) / f"detect_db_{dialect}.sql", dialect, HELD_OUT)
        out[f"dump-{dialect}"] = run(SqlDumpScanner(real_pii()), str(dump), is_file=True)
    with pg_scratch() as (url, conn):
        load_postgres(conn, HELD_OUT)
        out["postgresql"] = run(DatabaseScanner(real_pii()), url)
    with my_scratch() as (url, conn):
        load_mysql(conn, HELD_OUT)
        out["mariadb"] = run(DatabaseScanner(real_pii()), url)
    return out


@pytest.mark.parametrize("backend", ["postgresql", "mariadb", "dump-postgresql", "dump-mysql"])
def test_held_out_recall_without_false_verdicts(scans: dict[str, ScanRun], backend: str) -> None:
    result = scans[backend]
    assert result.error is None and not result.problems
    scored = score(result.observations, HELD_OUT)
    assert scored.recall() >= 0.95, (scored.table(), scored.missed)
    for category in CATEGORIES:
        assert scored.recall(category) >= 0.95, (category, scored.missed)
    assert scored.decoys_flagged == []
    assert scored.wrong_categories == []


def _obs(result: ScanRun, table: str, column: str, kind: str = "pii.column"
         ) -> list[Observation]:
    return [o for o in result.kind(kind)
            if (o.location.table or "").endswith("." + table) and o.location.column == column]


def test_value_only_columns_say_so(scans: dict[str, ScanRun]) -> None:
    result = scans["postgresql"]
    (named,) = _obs(result, "customers", "nationalId")
    (bare,) = _obs(result, "Sheet1", "Column8")
    assert named.entities == bare.entities == ("VN_CCCD",)
    assert (named.attributes["basis"], bare.attributes["basis"]) == ("name+values", "values")
    assert named.evidence["basis"] == "name+values"
    assert float(bare.attributes["confidence"]) < float(named.attributes["confidence"])
    (dob,) = _obs(result, "Sheet1", "Column2")
    assert dob.entities == ("DATE_OF_BIRTH",) and dob.attributes["basis"] == "values"
    assert not _obs(result, "Sheet1", "Column7")  # recent dates: not births


def test_categories_are_entities_and_per_column(scans: dict[str, ScanRun]) -> None:
    result = scans["mariadb"]
    (lab,) = _obs(result, "benh_nhan_kham", "ket_qua_xet_nghiem")
    assert lab.entities == ("HEALTH",) and lab.attributes["categories"] == ["HEALTH"]
    assert lab.evidence["categories"] == ["HEALTH"]
    (card,) = _obs(result, "benh_nhan_kham", "so_the_bhyt")
    assert card.entities == ("VN_HEALTH_INSURANCE",) and not card.attributes["sensitive"]
    assert not _obs(result, "benh_nhan_kham", "ten_co_so")
    # blood group: basic personal data without an entity type (not HEALTH): listed for the
    # inventory, no cleartext finding (no detector recognises its values)
    (blood,) = _obs(result, "benh_nhan_kham", "nhom_mau")
    assert blood.entities == () and blood.attributes["personal_data"] == ["BLOOD_GROUP"]
    assert not blood.attributes["sensitive"] and not blood.attributes["protected"]
    hits = result.rule_hits()
    assert not {h for h in hits if h[2] == "nhom_mau"}
    assert ("core.db.pii-cleartext-sensitive", lab.location.table, "ket_qua_xet_nghiem") in hits
    assert ("core.db.pii-cleartext", card.location.table, "so_the_bhyt") in hits


def test_credentials_are_credential_findings_not_personal_data(
        scans: dict[str, ScanRun]) -> None:
    result = scans["dump-postgresql"]
    table = next(t for t in HELD_OUT if t.name == "integrations")
    rows = table.rows()
    for column in ("dsn", "webhook_url", "access_key", "settings"):
        assert not _obs(result, "integrations", column), column
        (cred,) = _obs(result, "integrations", column, "db.credential_column")
        assert cred.attributes["count"] == cred.attributes["sample_size"] == len(rows)
    hits = {h for h in result.rule_hits() if h[0] == "core.db.credential-in-column"}
    assert {h[2] for h in hits if h[1].endswith(".integrations")} == {
        "dsn", "webhook_url", "access_key", "settings"}
    canaries = [str(row[2]) for row in rows[:5]] + [str(row[4]) for row in rows[:5]]
    assert_no_leak(result, *canaries)
