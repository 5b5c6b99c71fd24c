"""Signed evidence bundles: keygen, manifest content, verification, and tamper detection
that names exactly which file changed."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from pathlib import Path

import pytest
from auditor.reports.html import HtmlReporter
from auditor.reports.json import JsonReporter

from auditor.bundle.evidence import (
    MANIFEST,
    PUBLIC_KEY,
    README,
    SIGNATURE,
    verify_evidence,
    write_evidence,
)
from auditor.bundle.signing import (
    generate_key,
    key_id,
    load_private_key,
    load_public_key,
    write_keypair,
)
from auditor.cli import main
from auditor.errors import ConfigError
from auditor.results import ScanResult
from tests.fakes import fake_engine, run, tree

CANARY = "evidence-CANARY-4d1c"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("keys")
    write_keypair(generate_key(), base / "k.key", base / "k.pub", env={})
    return base / "k.key", base / "k.pub"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    base = tmp_path_factory.mktemp("scan")
    tree(base, {"app.kv": f"debug = true\ndb.password = {CANARY}\n"})
    return run(fake_engine(base), base / "tree")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, result: ScanResult,
           keys: tuple[Path, Path]) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "evidence"
    write_evidence(result, out, [JsonReporter(), HtmlReporter()],
                   load_private_key(keys[0], env={}), host="audit-host-1")
    return out


def copy(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "evidence"
    shutil.copytree(bundle, target)
    return target


def test_keygen_writes_private_key_0600_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    priv, pub = tmp_path / "s.key", tmp_path / "s.pub"
    assert main(["keygen", "--private-key", str(priv), "--public-key", str(pub)]) == 0
    out = capsys.readouterr().out
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert priv.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert "key id:      ed25519:" in out and "BEGIN" not in out
    before = priv.read_bytes()
    assert main(["keygen", "--private-key", str(priv), "--public-key", str(pub)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert priv.read_bytes() == before
    assert main(["keygen", "--private-key", str(priv), "--public-key", str(pub), "--force"]) == 0
    assert priv.read_bytes() != before and stat.S_IMODE(priv.stat().st_mode) == 0o600


def test_keygen_paths_from_environment_and_passphrase(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_SIGNING_KEY", str(tmp_path / "env.key"))
    monkeypatch.setenv("AUDITOR_VERIFY_KEY", str(tmp_path / "env.pub"))
    monkeypatch.setenv("AUDITOR_SIGNING_KEY_PASSWORD", "correct horse")
    assert main(["keygen"]) == 0
    assert b"ENCRYPTED" in (tmp_path / "env.key").read_bytes()
    load_private_key(tmp_path / "env.key")
    monkeypatch.setenv("AUDITOR_SIGNING_KEY_PASSWORD", "wrong")
    with pytest.raises(ConfigError, match=r"env\.key: not a usable PEM private key"):
        load_private_key(tmp_path / "env.key")


def test_manifest_records_run_targets_packs_and_files(bundle: Path, result: ScanResult) -> None:
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["run"] == {"id": result.run_id, "started_at": result.started_at,
                               "finished_at": result.finished_at, "as_of": "2026-06-01",
                               "host": "audit-host-1", "lang": "en"}
    assert manifest["tool"]["version"] == result.tool_version
    assert manifest["packs"] == [{"id": "t", "version": "1", "sha256": result.packs[0].sha256}]
    assert [f["id"] for f in manifest["frameworks"]] == ["fw"]
    [target] = manifest["targets"]
    scanned = Path(result.targets[0].uri)
    assert target["sha256"] == hashlib.sha256(scanned.read_bytes()).hexdigest()
    names = [f["path"] for f in manifest["files"]]
    assert names == sorted(["report.json", "report.html", PUBLIC_KEY, README])
    readme = (bundle / README).read_text(encoding="utf-8")
    assert f"run {result.run_id}, as of 2026-06-01, signed with key ed25519:" in readme
    assert "Để kiểm tra không có gì trong thư mục này bị thay đổi" in readme
    for f in manifest["files"]:
        assert f["sha256"] == hashlib.sha256((bundle / f["path"]).read_bytes()).hexdigest()
    assert sorted(p.name for p in bundle.iterdir()) == sorted([*names, MANIFEST, SIGNATURE])


def test_bundle_never_contains_the_secret(bundle: Path) -> None:
    for path in bundle.iterdir():
        assert CANARY.encode() not in path.read_bytes(), path.name


def test_verify_ok(bundle: Path, keys: tuple[Path, Path],
                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(bundle), "--key", str(keys[1])]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("OK: 4 files match the manifest; signature valid (key ed25519:")
    assert out.err == ""


def test_verify_without_trusted_key_is_integrity_only(
        bundle: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDITOR_VERIFY_KEY", raising=False)
    assert main(["verify", str(bundle)]) == 4
    assert main(["verify", str(bundle), "--allow-untrusted"]) == 0
    out = capsys.readouterr().out
    assert out.count("integrity only, signer unknown: 4 files match") == 2
    assert "OK" not in out


BUNDLED = ["report.json", "report.html", PUBLIC_KEY, README, MANIFEST, SIGNATURE]


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("where", [0.5, 0.0, 1.0])
def test_flipping_one_byte_of_any_file_fails_and_names_it(
        bundle: Path, keys: tuple[Path, Path], tmp_path: Path, name: str, where: float,
        *, capsys: pytest.CaptureFixture[str]) -> None:
    copied = copy(bundle, tmp_path)
    path = copied / name
    data = bytearray(path.read_bytes())
    index = min(int(len(data) * where), len(data) - 1)
    data[index] ^= 0x01
    path.write_bytes(bytes(data))
    assert main(["verify", str(copied), "--key", str(keys[1])]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("TAMPERED ") for line in lines)
    named = {line.removeprefix("TAMPERED ").split(":", 1)[0] for line in lines}
    assert named == {name}
    report = verify_evidence(copied, load_public_key(keys[1]))
    assert {p.file for p in report.problems} == {name}


def test_added_and_removed_files_are_named(bundle: Path, keys: tuple[Path, Path],
                                           tmp_path: Path) -> None:
    copied = copy(bundle, tmp_path)
    (copied / "extra.txt").write_text("planted later", encoding="utf-8")
    (copied / "report.html").unlink()
    report = verify_evidence(copied, load_public_key(keys[1]))
    assert [(p.file, p.message) for p in report.problems] == [
        ("report.html", "missing from the bundle"),
        ("extra.txt", "not listed in the manifest (added after signing)")]


def test_resigned_bundle_fails_against_the_trusted_key(bundle: Path, keys: tuple[Path, Path],
                                                       result: ScanResult,
                                                       tmp_path: Path) -> None:
    forged = tmp_path / "forged"
    write_evidence(result, forged, [JsonReporter()], generate_key(), host="h")
    report = verify_evidence(forged, load_public_key(keys[1]))
    files = {p.file for p in report.problems}
    assert PUBLIC_KEY in files and (MANIFEST in files or SIGNATURE in files)
    assert verify_evidence(forged).ok  # intact against its own key


def test_write_evidence_refuses_a_non_empty_directory(result: ScanResult,
                                                      tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        write_evidence(result, tmp_path, [JsonReporter()], generate_key())


def test_verify_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "nothing")]) == 2
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("not a key", encoding="utf-8")
    tmp_path.joinpath("b").mkdir()
    assert main(["verify", str(tmp_path / "b"), "--key", str(bad_key)]) == 2
    assert "not a PEM public key" in capsys.readouterr().err


def test_scan_with_evidence_end_to_end(tmp_path: Path, keys: tuple[Path, Path],
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDITOR_SIGNING_KEY", raising=False)
    target = tmp_path / "t"
    target.mkdir()
    (target / "notes.txt").write_text("nothing here\n", encoding="utf-8")
    out = tmp_path / "evidence"
    code = main(["scan", str(target), "--evidence", str(out), "--signing-key", str(keys[0]),
                 "--format", "json,csv", "-o", str(tmp_path / "reports"), "-q",
                 "--as-of", "2026-11-25"])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"report.json", "report.csv", PUBLIC_KEY,
                                               README, MANIFEST, SIGNATURE}
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["run"]["as_of"] == "2026-11-25"
    assert main(["verify", str(out), "--key", str(keys[1])]) == 0
    assert main(["scan", str(target), "--evidence", str(tmp_path / "e2"), "-q"]) == 2
    assert "needs a signing key" in capsys.readouterr().err
    assert main(["scan", str(target), "--evidence", str(out), "--signing-key", str(keys[0]),
                 "-q"]) == 2
    assert "evidence directory is not empty" in capsys.readouterr().err


def test_verify_json_output(bundle: Path, keys: tuple[Path, Path], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    copied = copy(bundle, tmp_path)
    (copied / "report.json").write_text("{}", encoding="utf-8")
    assert main(["verify", str(copied), "--key", str(keys[1]), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["trusted_key"] is True
    assert [p["file"] for p in doc["problems"]] == ["report.json"]
    assert doc["files_checked"] == 4


def test_check_targets_names_changed_scanned_files(tmp_path: Path, keys: tuple[Path, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, {"a.kv": "debug = true\n", "b.kv": "x = 1\n"})
    result = run(fake_engine(tmp_path), root)
    out = tmp_path / "evidence"
    suppressions = tmp_path / "sup.yaml"
    suppressions.write_text("schema_version: 1\nsuppressions: []\n", encoding="utf-8")
    write_evidence(result, out, [JsonReporter()], load_private_key(keys[0], env={}),
                   inputs={"suppressions": suppressions})
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["inputs"] == [{
        "role": "suppressions", "path": str(suppressions), "size": suppressions.stat().st_size,
        "sha256": hashlib.sha256(suppressions.read_bytes()).hexdigest()}]
    check = ["verify", str(out), "--key", str(keys[1]), "--check-targets", str(tmp_path)]
    assert main(check) == 0
    (root / "a.kv").write_text("debug = false\n", encoding="utf-8")
    (root / "b.kv").unlink()
    capsys.readouterr()
    assert main(check) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("OK: 3 files match the manifest")  # the bundle itself is intact
    assert lines[1:] == [f"CHANGED target {root / 'a.kv'}: scanned file changed since the scan",
                     f"CHANGED target {root / 'b.kv'}: scanned file no longer exists"]


def test_manifest_records_database_schema_fingerprints() -> None:
    from auditor.bundle.evidence import build_manifest
    from tests.reports.sample import sample_result

    key = generate_key()
    manifest = build_manifest(sample_result(), [("report.json", "0" * 64, 10)],
                              key.public_key(), "h")
    db = next(t for t in manifest["targets"]  # type: ignore[union-attr]
              if isinstance(t, dict) and str(t["uri"]).startswith("postgresql://"))
    assert db == {"uri": "postgresql://db.example/citizens", "kind": "postgresql",
                  "scanner": "database", "status": "ok", "sha256": None,
                  "schema_fingerprint": "schema:" + "2" * 16}
    assert manifest["signing_key"] == {"algorithm": "Ed25519",
                                       "key_id": key_id(key.public_key())}


def test_keygen_then_scan_and_verify_with_default_key_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The README flow: ``auditor keygen`` in the working directory (which also registers
    the public key as trusted on this machine), then ``scan --evidence`` and ``verify``
    find the key files without options."""
    for var in ("AUDITOR_SIGNING_KEY", "AUDITOR_VERIFY_KEY", "AUDITOR_SIGNING_KEY_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "notes.txt").write_text("hello\n", encoding="utf-8")
    assert main(["keygen"]) == 0
    assert main(["scan", "t", "--format", "html,json", "-o", "audit", "--evidence",
                 "audit/evidence", "-q"]) == 0
    capsys.readouterr()
    assert main(["verify", "audit/evidence"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("OK:") and out.err == ""  # trusted: the registered key


@pytest.mark.parametrize("name", [MANIFEST, SIGNATURE, PUBLIC_KEY, "report.json"])
def test_deleting_any_file_fails_and_names_it(bundle: Path, keys: tuple[Path, Path],
                                              tmp_path: Path, name: str) -> None:
    copied = copy(bundle, tmp_path)
    (copied / name).unlink()
    for key in (load_public_key(keys[1]), None):
        report = verify_evidence(copied, key)
        assert not report.ok
        assert name in {p.file for p in report.problems}
