"""``auditor run`` end to end on real files into a real store (SQLite file and PostgreSQL):
two runs of a two-system config, lifecycle, trend, canaries, exit codes, run folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from tests.history.conftest import pg_all_text

CANARY = "Kq7-canary-Wz3Lm9Pd"       # a password planted in a scanned file
CANARY_2 = "Vv83-canary-Qm21Lx"     # the problem introduced before the second run


def write_config(root: Path, store: str, **extra: str) -> Path:
    (root / "hr").mkdir(exist_ok=True)
    (root / "web").mkdir(exist_ok=True)
    (root / "hr" / "app.yaml").write_text(f'debug: true\ndb_password: "{CANARY}"\n')
    (root / "web" / "site.yaml").write_text("server:\n  port: 8080\n")
    cfg = root / "auditor.yaml"
    cfg.write_text(f"""\
schema_version: 1
store: {store}
reports: reports
formats: [json, md]
defaults:
  fail_on: high
  frameworks: [vn-pdpl-2025]
systems:
  - name: hr-portal
    owner: Department of Home Affairs
    level: 3
    targets: [hr]
  - name: public-web
    owner: Press Office
    targets: [web]
""" + "".join(f"{k}: {v}\n" for k, v in extra.items()))
    return cfg


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_two_runs_give_one_fixed_one_new_and_trend_shows_both(
        store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, store_url)
    args = ["run", "--config", str(cfg), "--as-of", "2026-11-25", "-j", "1"]
    assert main(args) == 1  # the planted password is high, at fail_on
    # between the runs: debug mode is switched off (fixed), a new password appears (new)
    (tmp_path / "hr" / "app.yaml").write_text(f'debug: false\ndb_password: "{CANARY}"\n')
    (tmp_path / "web" / "site.yaml").write_text(
        f'server:\n  port: 8080\nsmtp_password: "{CANARY_2}"\n')
    assert main(args) == 1
    runs = run_json(capsys, "history", "list", "--store", store_url)["runs"]
    assert [(r["system"], r["new"], r["fixed"]) for r in runs] == [
        ("public-web", 1, 0), ("hr-portal", 0, 1), ("public-web", 0, 0), ("hr-portal", 2, 0)]
    hr_second = runs[1]
    shown = run_json(capsys, "history", "show", str(hr_second["id"]), "--store", store_url)
    by_rule = {f["rule_id"]: f["state"] for f in shown["findings"]}
    assert by_rule == {"core.config.debug-enabled": "fixed",
                       "core.secret.password-assignment": "open"}
    trend = run_json(capsys, "trend", "--store", store_url, "--framework", "vn-pdpl-2025")
    points = [(p["system"], p["new"], p["fixed"], p["open"]["high"]) for p in trend["runs"]]
    assert points == [("hr-portal", 2, 0, 1), ("public-web", 0, 0, 0),
                      ("hr-portal", 0, 1, 1), ("public-web", 1, 0, 1)]
    assert all(p["requirements"]["pass"] + p["requirements"]["fail"] > 0
               for p in trend["runs"])
    assert main(["trend", "--store", store_url, "--system", "hr-portal"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 3 and all("hr-portal" in line for line in text[1:])
    # the store holds masked evidence only: no canary in any byte of it
    if store_url.startswith("sqlite"):
        db = Path(store_url.removeprefix("sqlite:///"))
        blobs = b"".join(p.read_bytes() for p in db.parent.iterdir())
        assert blobs.count(b"core.secret.password-assignment") > 0
        for canary in (CANARY, CANARY_2):
            assert canary.encode() not in blobs
            assert canary.encode("utf-16-le") not in blobs
    else:
        everything = pg_all_text(store_url)
        assert "core.secret.password-assignment" in everything
        assert CANARY not in everything and CANARY_2 not in everything


def test_reports_go_to_new_folders_and_name_system_and_owner(
        tmp_path: Path, schemas: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    cfg = write_config(tmp_path, store)
    args = ["run", "--config", str(cfg), "--system", "hr-portal", "--as-of", "2026-11-25",
            "-j", "1", "-q"]
    assert main(args) == 1
    assert main(args) == 1
    folders = sorted((tmp_path / "reports").iterdir())
    assert len(folders) == 2 and all(f.name.startswith("hr-portal-2") for f in folders)
    schema = json.loads((schemas / "auditor-report-v1.schema.json").read_text())
    ids = set()
    for folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == ["report.json", "report.md"]
        doc = json.loads((folder / "report.json").read_text())
        jsonschema.validate(doc, schema)
        system = doc["run"]["system"]
        assert (system["name"], system["owner"], system["level"]) == \
            ("hr-portal", "Department of Home Affairs", 3)
        ids.add(doc["run"]["id"])
    assert len(ids) == 2


def test_one_failing_system_never_stops_the_others(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    cfg = write_config(tmp_path, store)
    text = cfg.read_text().replace("    targets: [hr]\n", (
        "    targets:\n      - url: postgresql://auditor@127.0.0.1:1/hr\n"
        "        password_env: AUDITOR_TEST_UNSET_PASSWORD\n"))
    cfg.write_text(text)
    monkeypatch.delenv("AUDITOR_TEST_UNSET_PASSWORD", raising=False)
    code = main(["run", "--config", str(cfg), "--as-of", "2026-11-25", "-j", "1"])
    captured = capsys.readouterr()
    assert code == 2  # a configuration problem of one system
    assert "hr-portal: error:" in captured.err and "AUDITOR_TEST_UNSET_PASSWORD" in captured.err
    assert "public-web: 0 open findings" in captured.out
    runs = run_json(capsys, "history", "list", "--store", store)["runs"]
    assert [r["system"] for r in runs] == ["public-web"]


@pytest.mark.parametrize(("codes", "expected"), [
    ([0, 0], 0), ([0, 3], 3), ([1, 3], 1), ([3, 1, 0], 1), ([2, 1], 2), ([0, 2, 3], 2)])
def test_exit_code_over_systems(codes: list[int], expected: int) -> None:
    from auditor.cli.commands.run import combine
    assert combine(codes) == expected


def test_unknown_key_is_exit_2_naming_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, f"sqlite:///{tmp_path / 's.sqlite'}")
    lines = cfg.read_text().splitlines()
    lines.insert(12, "    ownr: typo")  # inside the first system
    cfg.write_text("\n".join(lines) + "\n")
    assert main(["run", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:13: systems[0].ownr: unknown key 'ownr'" in err
    assert not (tmp_path / "reports").exists() and not (tmp_path / "s.sqlite").exists()


def test_import_and_diff_of_stored_runs(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    cfg = write_config(tmp_path, store)
    args = ["run", "--config", str(cfg), "--system", "hr-portal", "--as-of", "2026-11-25",
            "-j", "1", "-q"]
    main(args)
    (tmp_path / "hr" / "app.yaml").write_text(f'debug: false\ndb_password: "{CANARY}"\n')
    main(args)
    folders = sorted((tmp_path / "reports").iterdir(), key=lambda p: p.name)  # oldest first
    reports = [str(p / "report.json") for p in folders]
    other = f"sqlite:///{tmp_path / 'backfill.sqlite'}"
    # equal start times (same second) are recorded in the order given
    imported = run_json(capsys, "history", "import", *reports, "--store", other)
    assert [i["imported"] for i in imported["imported"]] == [True, True]
    assert {i["system"] for i in imported["imported"]} == {"hr-portal"}
    again = run_json(capsys, "history", "import", reports[0], "--store", other)
    assert again["imported"][0]["imported"] is False
    runs = run_json(capsys, "history", "list", "--store", other)["runs"]
    assert [(r["new"], r["fixed"], r["source"]) for r in runs] == [(0, 1, "import"),
                                                                    (2, 0, "import")]
    old, new = str(runs[1]["id"]), str(runs[0]["id"])
    stored = run_json(capsys, "diff", old, new, "--store", other)
    files = run_json(capsys, "diff", reports[0], reports[1])
    assert stored["summary"] == files["summary"] == {"new": 0, "fixed": 1, "unchanged": 1}
    assert [f["fingerprint"] for f in stored["fixed"]] == \
        [f["fingerprint"] for f in files["fixed"]]
    assert main(["diff", "999", new, "--store", other]) == 2
    assert "999: not a report file, and no stored run" in capsys.readouterr().err
