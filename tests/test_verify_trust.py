"""Hostile evidence bundles (issue 17, items 1 and 18): a key that travels with the bundle
is never trusted, a bundle checked only against its own key is "integrity only, signer
unknown" (exit 4 unless ``--allow-untrusted``), ``verify`` never follows a symbolic link out
of the bundle, and ``--check-targets`` never reads a file outside ROOT."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from auditor.reports.json import JsonReporter

from auditor.bundle.evidence import (
    MANIFEST,
    PUBLIC_KEY,
    check_targets,
    verify_evidence,
    write_evidence,
)
from auditor.bundle.signing import (
    DEFAULT_PUBLIC_KEY,
    ENV_VERIFY_KEY,
    generate_key,
    load_private_key,
    public_pem,
    trusted_keys_dir,
    write_keypair,
)
from auditor.cli import main
from auditor.results import ScanResult
from tests.fakes import fake_engine, run, tree

EXIT_UNTRUSTED = 4


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv(ENV_VERIFY_KEY, raising=False)
    config = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


@pytest.fixture
def scanned(tmp_path: Path) -> ScanResult:
    return run(fake_engine(tmp_path), tree(tmp_path, {"app.kv": "debug = true\n"}))


def forge(result: ScanResult, out: Path) -> Path:
    """A bundle signed by a forger's key, with the forger's public key shipped inside it
    under every name a verifier might pick up."""
    key = generate_key()
    write_evidence(result, out, [JsonReporter()], key, host="forger")
    return out


def test_forged_bundle_with_key_in_cwd_is_not_verified(
        clean_env: Path, scanned: ScanResult, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    forged = forge(scanned, tmp_path / "forged")
    # the forger also leaves auditor-signing.pub next to and inside the bundle ...
    (forged.parent / DEFAULT_PUBLIC_KEY).write_bytes((forged / PUBLIC_KEY).read_bytes())
    monkeypatch.chdir(forged.parent)
    assert main(["verify", "forged"]) == EXIT_UNTRUSTED
    out = capsys.readouterr()
    assert "OK" not in out.out and "signature valid" not in out.out
    assert "integrity only, signer unknown" in out.out
    # ... and `auditor verify .` run inside the bundle: the planted file is not listed in
    # the manifest, so the bundle is tampered; either way it is not "verified"
    (forged / DEFAULT_PUBLIC_KEY).write_bytes((forged / PUBLIC_KEY).read_bytes())
    monkeypatch.chdir(forged)
    assert main(["verify", "."]) not in (0, EXIT_UNTRUSTED)
    assert "signature valid" not in capsys.readouterr().out


def test_key_option_inside_the_bundle_is_refused(
        clean_env: Path, scanned: ScanResult, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    forged = forge(scanned, tmp_path / "forged")
    assert main(["verify", str(forged), "--key", str(forged / PUBLIC_KEY)]) == 2
    assert "inside the bundle" in capsys.readouterr().err
    monkeypatch.setenv(ENV_VERIFY_KEY, str(forged / ".." / "forged" / PUBLIC_KEY))
    assert main(["verify", str(forged)]) == 2
    assert "inside the bundle" in capsys.readouterr().err


def test_untrusted_bundle_needs_allow_untrusted(
        clean_env: Path, scanned: ScanResult, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    forged = forge(scanned, tmp_path / "forged")
    assert main(["verify", str(forged)]) == EXIT_UNTRUSTED
    assert main(["verify", str(forged), "--allow-untrusted"]) == 0
    out = capsys.readouterr().out
    assert out.count("integrity only, signer unknown") == 2
    assert main(["verify", str(forged), "--format", "json"]) == EXIT_UNTRUSTED
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True and doc["trusted_key"] is False and doc["verified"] is False
    assert doc["signer"] == "unknown"


def test_per_user_trusted_key_directory(
        clean_env: Path, scanned: ScanResult, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    keys = tmp_path / "keys"
    write_keypair(generate_key(), keys / "s.key", keys / "s.pub", env={})
    bundle = tmp_path / "evidence"
    write_evidence(scanned, bundle, [JsonReporter()], load_private_key(keys / "s.key", env={}))
    assert main(["verify", str(bundle)]) == EXIT_UNTRUSTED
    trusted = trusted_keys_dir()
    assert trusted == clean_env / "auditor" / "trusted-keys"
    trusted.mkdir(parents=True)
    (trusted / "other.pub").write_bytes(public_pem(generate_key().public_key()))
    (trusted / "signer.pub").write_bytes((keys / "s.pub").read_bytes())
    capsys.readouterr()
    assert main(["verify", str(bundle)]) == 0
    assert capsys.readouterr().out.startswith("OK:")
    # a forged bundle is still not verified by any of the trusted keys
    assert main(["verify", str(forge(scanned, tmp_path / "forged"))]) == EXIT_UNTRUSTED


def test_keygen_registers_its_public_key_as_trusted(
        clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["keygen"]) == 0
    pub = tmp_path / DEFAULT_PUBLIC_KEY
    registered = list(trusted_keys_dir().iterdir())
    assert [p.read_bytes() for p in registered] == [pub.read_bytes()]
    assert "trusted on this machine" in capsys.readouterr().out


# -- item 18: symbolic links and --check-targets --------------------------------------

@pytest.fixture
def signed(clean_env: Path, scanned: ScanResult, tmp_path: Path) -> tuple[Path, Path]:
    keys = tmp_path / "keys"
    write_keypair(generate_key(), keys / "s.key", keys / "s.pub", env={})
    bundle = tmp_path / "evidence"
    write_evidence(scanned, bundle, [JsonReporter()], load_private_key(keys / "s.key", env={}))
    return bundle, keys / "s.pub"


def test_symlinked_bundle_file_is_not_followed(
        signed: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bundle, pub = signed
    # an outside copy with identical bytes: following the link would "verify"
    outside = tmp_path / "outside-report.json"
    outside.write_bytes((bundle / "report.json").read_bytes())
    (bundle / "report.json").unlink()
    (bundle / "report.json").symlink_to(outside)
    assert main(["verify", str(bundle), "--key", str(pub)]) == 1
    assert "TAMPERED report.json: is a symbolic link (not followed)" in capsys.readouterr().out


def test_fifo_in_bundle_does_not_hang(signed: tuple[Path, Path]) -> None:
    bundle, pub = signed
    (bundle / "report.json").unlink()
    os.mkfifo(bundle / "report.json")
    from auditor.bundle.signing import load_public_key

    report = verify_evidence(bundle, load_public_key(pub))
    assert [str(p) for p in report.problems] == ["report.json: not a regular file"]


def _forge_targets(bundle: Path, keyfile: Path, uris: list[str]) -> None:
    """Re-sign a manifest listing hostile target paths (the signer is trusted, the
    manifest content is what is being tested)."""
    import hashlib

    from auditor.bundle.evidence import SIGNATURE, _signature_record

    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    manifest["targets"] = [{"uri": u, "kind": "text", "scanner": "files", "status": "ok",
                            "sha256": hashlib.sha256(b"x").hexdigest(),
                            "schema_fingerprint": None} for u in uris]
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    (bundle / MANIFEST).write_bytes(data)
    key = load_private_key(keyfile, env={})
    (bundle / SIGNATURE).write_bytes(_signature_record(key, data))


def test_check_targets_never_leaves_root(
        signed: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bundle, pub = signed
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.txt").write_bytes(b"x")
    (root / "escape").symlink_to("/etc")
    _forge_targets(bundle, tmp_path / "keys" / "s.key",
                   ["/etc/passwd", "../outside.txt", "escape/hostname", "inside.txt"])
    problems = check_targets(json.loads((bundle / MANIFEST).read_text(encoding="utf-8")), root)
    assert [str(p) for p in problems] == [
        "/etc/passwd: outside ROOT " + str(root) + ", not checked",
        "../outside.txt: outside ROOT " + str(root) + ", not checked",
        "escape/hostname: outside ROOT " + str(root) + ", not checked"]
    assert main(["verify", str(bundle), "--key", str(pub), "--check-targets", str(root)]) == 1
    assert "NOT CHECKED target /etc/passwd: outside ROOT" in capsys.readouterr().out

