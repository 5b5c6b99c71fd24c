"""The personal-data inventory: built from observations (not findings), one entry per
place, protection states told apart, never a value; the demo lists every sensitive column."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.inventory import InventoryEntry, inventory_of
from auditor.models import JSONValue, Location, Observation
from auditor.pipeline.plugins import load_reporters
from auditor.results import ScanResult

REPO = Path(__file__).resolve().parents[1]


def _col(column: str, attrs: dict[str, JSONValue], entities: tuple[str, ...] = (),
         subjects: int | None = None, kind: str = "pii.column") -> Observation:
    base: dict[str, JSONValue] = {"table": "public.t", "column": column, "sample_size": 10}
    base.update(attrs)
    return Observation(kind, Location("db.sqlite", table="public.t", column=column), base,
                       evidence={"examples": ["SECRET-EXAMPLE"]}, entities=entities,
                       subjects=subjects)


@pytest.mark.parametrize(("obs", "expected"), [
    (_col("cccd", {"protection": None}, ("VN_CCCD",), 40),
     ("cleartext", "basic", ("VN_CCCD",), (), 40)),
    (_col("cccd_enc", {"protection": "fernet"}, ("VN_CCCD",)),
     ("encrypted", "basic", ("VN_CCCD",), (), None)),
    (_col("cccd_kh", {"protection": "keyed-token"}, ("VN_CCCD",)),
     ("hashed", "basic", ("VN_CCCD",), (), None)),
    # a sensitive category known by its name: no value read is "not-read", 0 subjects unknown
    (_col("nhom_mau", {"sample_size": 0, "categories": ["HEALTH"]}, ("HEALTH",), 0),
     ("not-read", "sensitive", (), ("HEALTH",), None)),
    (_col("van_tay", {"sample_size": 0, "binary_format": "iso-19794-2"}, ("BIOMETRIC",)),
     ("cleartext", "sensitive", (), ("BIOMETRIC",), None)),
    (_col("card", {}, ("CREDIT_CARD",)),
     ("cleartext", "sensitive", ("CREDIT_CARD",), ("FINANCIAL_ACCOUNT",), None)),
    (_col("pw", {"storage": "md5", "fast_hash": True}, kind="db.password_column"),
     ("hashed", "basic", ("PASSWORD",), (), None)),
    (_col("pw", {"storage": "bcrypt", "slow_hash": True}, kind="db.password_column"),
     ("hashed", "basic", ("PASSWORD",), (), None)),
    (_col("pw", {"storage": "plaintext"}, kind="db.password_column"),
     ("cleartext", "basic", ("PASSWORD",), (), None)),
])
def test_entry_per_observation(obs: Observation, expected: tuple[Any, ...]) -> None:
    (entry,) = inventory_of([obs], scanner="database")
    assert (entry.protection, entry.classification, entry.data, entry.categories,
            entry.subjects) == expected
    assert "SECRET-EXAMPLE" not in repr(entry.to_dict())


def test_one_entry_per_place_with_the_worse_protection() -> None:
    entries = inventory_of([
        _col("lien_he", {"protection": "fernet"}, ("EMAIL_ADDRESS",), 12),
        _col("lien_he", {"protection": None}, ("VN_PHONE",), 30),
        Observation("config.setting", Location("x.yaml", line=1), {"name": "debug"}),
    ], scanner="database")
    assert [(e.column, e.data, e.protection, e.subjects) for e in entries] == [
        ("lien_he", ("EMAIL_ADDRESS", "VN_PHONE"), "cleartext", 30)]


def test_round_trip_through_the_json_document() -> None:
    entry = InventoryEntry("portal", "db.sqlite", "database", "t", "c", "", ("VN_CCCD",),
                           ("HEALTH",), "hashed", "keyed-token", 5, 10, 10, "pii.column")
    assert InventoryEntry.from_dict(entry.to_dict()) == entry


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("inv")
    main(["scan", str(REPO / "fixtures" / "demo"), "--as-of", "2026-11-25", "-q",
          "--format", "json,inventory-csv,html", "-o", str(out),
          "--system", "Cổng dịch vụ công", "--controller", "Sở Thông tin và Truyền thông"])
    import json
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    doc["_html"] = (out / "report.html").read_text(encoding="utf-8")
    return doc, (out / "inventory.csv").read_text(encoding="utf-8")


def test_demo_html_cover_inventory_and_annex(demo: tuple[dict[str, Any], str]) -> None:
    doc, _ = demo
    html = doc["_html"]
    assert doc["run"]["document"]["controller"] == "Sở Thông tin và Truyền thông"
    assert doc["run"]["document"]["date"] == "2026-11-25"  # defaults to --as-of
    cover = html[html.index('id="cover"'):html.index('id="summary"')]
    assert "Sở Thông tin và Truyền thông" in cover and "Cổng dịch vụ công" in cover
    inventory = html[html.index('<section id="inventory"'):html.index('id="annex"')]
    assert inventory.count('class="inventory-entry sensitive"') == 9
    annex = html[html.index('id="annex"'):html.index('<section id="findings"')]
    for category in ("BIOMETRIC", "ETHNICITY", "RELIGION"):
        assert category in annex
    assert annex.count('class="to-complete"') == 5  # one system, five controller facts


# Every sensitive column of the demo (fixtures/gen_db.py), in each of its three stores.
SENSITIVE = {"dan_toc": "ETHNICITY", "ton_giao": "RELIGION", "van_tay": "BIOMETRIC"}
# Personal columns that are not sensitive, with their protection: blood group is basic
# personal data (Decree 13 Art. 2(3), 2(4)(b); COMPLIANCE-REVIEW.md row 23), the CCCD number
# is stored encrypted (Fernet) under a name that says so.
BASIC = {"nhom_mau": (["BLOOD_GROUP"], "cleartext"), "cccd_ma_hoa": (["VN_CCCD"], "encrypted")}
STORES = {"citizens.sqlite": "main.cong_dan", "citizens_pg.sql": "public.cong_dan",
          "citizens_mysql.sql.gz": "dan_cu.cong_dan"}


def test_demo_lists_every_sensitive_column(demo: tuple[dict[str, Any], str]) -> None:
    doc, _ = demo
    inv = doc["inventory"]
    for store, table in STORES.items():
        for column, category in SENSITIVE.items():
            rows = [e for e in inv if e["store"].endswith(store) and e["table"] == table
                    and e["column"] == column]
            assert len(rows) == 1, (store, column)
            assert rows[0]["categories"] == [category]
            assert rows[0]["classification"] == "sensitive"
            assert rows[0]["protection"] == "cleartext"
            assert rows[0]["system"] == "Cổng dịch vụ công"
    sensitive = {(e["store"], e["column"]) for e in inv if e["classification"] == "sensitive"}
    assert len(sensitive) == len(SENSITIVE) * len(STORES)  # no decoy marked sensitive
    by_place = {(e["store"].rsplit("/", 1)[-1], e["place"]): e for e in inv}
    assert by_place[("citizens.sqlite", "main.nhan_vien.password_hash")]["protection"] \
        == "hashed"
    assert by_place[("citizens.sqlite", "main.tai_khoan.mat_khau")]["protection"] \
        == "cleartext"
    # the decoy: template codes under a personal-looking name are not personal data
    assert not [e for e in inv if e["column"] == "email_template"]
    kinds = {e["store_kind"] for e in inv}
    assert kinds == {"database", "dump", "file", "capture"}


def test_demo_lists_the_blood_group_and_the_encrypted_cccd(
        demo: tuple[dict[str, Any], str]) -> None:
    doc, _ = demo
    for store, table in STORES.items():
        for column, (data, protection) in BASIC.items():
            rows = [e for e in doc["inventory"] if e["store"].endswith(store)
                    and e["table"] == table and e["column"] == column]
            assert len(rows) == 1, (store, column)
            assert (rows[0]["data"], rows[0]["categories"], rows[0]["classification"],
                    rows[0]["protection"]) == (data, [], "basic", protection), (store, column)
    # neither is a finding: the CCCD is encrypted, no detector reads a blood group
    assert not [f for f in doc["findings"]
                if f["location"].get("column") in BASIC]


def test_demo_inventory_csv_matches_json(demo: tuple[dict[str, Any], str]) -> None:
    doc, text = demo
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(doc["inventory"])
    assert [(r["store"], r["table"], r["column"], r["protection"]) for r in rows] == [
        (e["store"], e["table"] or "", e["column"] or "", e["protection"])
        for e in doc["inventory"]]
    assert ScanResult.from_document(doc).inventory  # read back for re-rendering


def test_csv_formula_cells_are_neutralised() -> None:
    import dataclasses

    from tests.reports.sample import sample_result
    entry = InventoryEntry("=cmd|'/c calc'!A1", "s", "file", data=("PERSON",))
    result = dataclasses.replace(sample_result(), inventory=(entry,))
    buf = io.StringIO()
    load_reporters()["inventory-csv"].render(result, buf)
    assert "\r\n'=cmd" in buf.getvalue()


def test_inventory_of_a_real_database(tmp_path: Path) -> None:
    db = tmp_path / "people.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE people (id integer, email text, note text)")
    con.executemany("INSERT INTO people VALUES (?, ?, ?)",
                    [(i, f"user{i}.docs19@example.vn", f"ordinary note {i}")
                     for i in range(30)])
    con.commit()
    con.close()
    out = tmp_path / "out"
    main(["scan", str(db), "--format", "inventory-csv", "-o", str(out), "-q"])
    rows = list(csv.DictReader(io.StringIO((out / "inventory.csv").read_text())))
    assert [(r["column"], r["data"], r["protection"], r["subjects"]) for r in rows] == [
        ("email", "EMAIL_ADDRESS", "cleartext", "30")]
    assert "docs19@example.vn" not in (out / "inventory.csv").read_text()


def test_protected_and_typeless_columns_without_decoys(tmp_path: Path) -> None:
    """A real SQLite database: ciphertext and hashes under personal names are listed with
    their protection; ciphertext under other names, a reference list of blood groups and a
    product's target gender are not personal data; no finding on any of them."""
    import base64
    import hashlib
    import random

    rng = random.Random(19)
    db = tmp_path / "mixed.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE benh_nhan (id integer, ho_ten text, nhom_mau text, "
                "cccd_ma_hoa text, sdt_hash text, ghi_chu_ma_hoa text)")
    con.executemany("INSERT INTO benh_nhan VALUES (?, ?, ?, ?, ?, ?)", [(
        i, f"Nguyễn Văn {'ABCDEGHKLMNPQ'[i % 13]}{'aeiou'[i % 5]}nh", rng.choice(
            ("A+", "B-", "O+", "AB+")),
        "gAAAAA" + base64.urlsafe_b64encode(rng.randbytes(90)).decode(),
        hashlib.sha256(f"09{i:08d}".encode()).hexdigest(),
        "gAAAAA" + base64.urlsafe_b64encode(rng.randbytes(60)).decode())
        for i in range(40)])
    # decoys: a session store (tokens under names that say nothing personal), a reference
    # list of blood groups, products with a target gender
    con.execute("CREATE TABLE phien (id integer, du_lieu text, chu_ky text)")
    con.executemany("INSERT INTO phien VALUES (?, ?, ?)", [
        (i, "gAAAAA" + base64.urlsafe_b64encode(rng.randbytes(90)).decode(),
         rng.randbytes(32).hex()) for i in range(40)])
    con.execute("CREATE TABLE dm_nhom_mau (ma text, nhom_mau text)")
    con.executemany("INSERT INTO dm_nhom_mau VALUES (?, ?)",
                    [(f"NM{i}", g) for i, g in enumerate(("A+", "A-", "B+", "O+"))])
    con.execute("CREATE TABLE san_pham (ma_sp text, ten_sp text, gioi_tinh text, gia integer)")
    con.executemany("INSERT INTO san_pham VALUES (?, ?, ?, ?)", [
        (f"SP{i:03d}", f"Áo thun mẫu {i}", rng.choice(("Nam", "Nữ", "Unisex")), 1000 * i)
        for i in range(40)])
    con.commit()
    con.close()
    out = tmp_path / "out"
    main(["scan", str(db), "--format", "json,inventory-csv", "-o", str(out), "-q",
          "--fail-on", "never"])
    import json
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    inv = {(e["table"], e["column"]): (e["data"], e["categories"], e["protection"])
           for e in doc["inventory"]}
    assert inv == {
        ("main.benh_nhan", "ho_ten"): (["PERSON"], [], "cleartext"),
        ("main.benh_nhan", "nhom_mau"): (["BLOOD_GROUP"], [], "cleartext"),
        ("main.benh_nhan", "cccd_ma_hoa"): (["VN_CCCD"], [], "encrypted"),
        ("main.benh_nhan", "sdt_hash"): (["VN_PHONE"], [], "hashed"),
    }
    flagged = {f["location"].get("column") for f in doc["findings"]
               if f["rule_id"].startswith("core.db.pii")}
    assert flagged == {"ho_ten"}


def test_inventory_never_leaks_planted_values(tmp_path: Path) -> None:
    from tests.fakes import tree
    from tests.reports.test_canary import PLANTED, all_files, assert_clean
    target = tree(tmp_path, PLANTED)
    out = tmp_path / "out"
    main(["scan", str(target), "--format", "json,inventory-csv,html", "-o", str(out),
          "-q", "--jobs", "1", "--as-of", "2026-11-25", "--system", "canary-system"])
    inventory = (out / "inventory.csv").read_text(encoding="utf-8")
    assert "citizens,email" in inventory and "canary-system" in inventory
    for path in all_files(out):
        assert_clean(path.read_text(encoding="utf-8"), path.name)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="inventory"' in html and "canary-system" in html
