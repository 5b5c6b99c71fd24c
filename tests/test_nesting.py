"""Hostile structure in YAML/TOML/JSON (issue 17 items 16, 17): deep nesting and alias
bombs end in a precise error (file, line, what), never a crash or an explosion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.nesting import MAX_DEPTH, NestingError, json_nesting, toml_nesting, yaml_nesting

ROOT = Path(__file__).resolve().parents[1]

PACK_HEAD = "schema_version: 1\npack:\n  id: hostile\n  version: '1'\n  title: Hostile\n"


def _alias_bomb(levels: int = 9, width: int = 10) -> str:
    """A pack header whose parameter default expands to width**levels values."""
    lines = ["    bomb:", "      description: x", "      default:",
             "        - &l0 [" + ", ".join(["v"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"        - &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return PACK_HEAD + "  parameters:\n" + "\n".join(lines) + "\nrules: []\n"


@pytest.mark.parametrize("command", [["packs", "validate"], ["packs", "show"]])
def test_packs_refuse_an_alias_bomb_with_file_and_line(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17 item 16: ``validate`` said ok, ``show`` tried to print 10**9 values."""
    pack = tmp_path / "bomb.yaml"
    pack.write_text(_alias_bomb(), encoding="utf-8")
    assert main([*command, str(pack)]) == 2
    err = capsys.readouterr().err
    assert f"{pack}:" in err and "alias bomb" in err
    line = int(err.split(f"{pack}:", 1)[1].split(":", 1)[0])
    assert 9 <= line <= 15  # one of the anchored lists, not the file start


def test_a_pack_with_ordinary_aliases_still_loads(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "ok.yaml"
    pack.write_text(_alias_bomb(levels=3), encoding="utf-8")  # 1,000 values: fine
    assert main(["packs", "validate", str(pack)]) == 0
    assert main(["packs", "show", str(pack)]) == 0
    assert "bomb" in capsys.readouterr().out


def test_a_self_referencing_alias_is_refused(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "loop.yaml"
    pack.write_text(PACK_HEAD + "  parameters:\n    loop:\n      description: x\n"
                    "      default: &me [1, *me]\nrules: []\n", encoding="utf-8")
    assert main(["packs", "show", str(pack)]) == 2
    assert f"{pack}:9:" in capsys.readouterr().err


def test_deeply_nested_pack_is_a_pack_error_with_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "deep.yaml"
    depth = 5000
    pack.write_text(PACK_HEAD + "  parameters:\n    deep:\n      description: x\n"
                    "      default: " + "[" * depth + "]" * depth + "\nrules: []\n",
                    encoding="utf-8")
    assert main(["packs", "validate", str(pack)]) == 2
    err = capsys.readouterr().err
    assert f"{pack}:9: invalid YAML: YAML nested more than {MAX_DEPTH} levels" in err


def test_deeply_nested_verify_manifest_is_named(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17: ``auditor verify`` died with RecursionError on a nested manifest."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    depth = 100_000
    (bundle / "manifest.json").write_text(
        '{"kind": "auditor-evidence-manifest",\n"files": ' + "[" * depth + "]" * depth + "}",
        encoding="utf-8")
    assert main(["verify", str(bundle), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    messages = {p["file"]: p["message"] for p in report["problems"]}
    assert messages["manifest.json"] == (
        f"not valid JSON (JSON nested more than {MAX_DEPTH} levels deep at line 2)")


def test_deep_config_files_are_target_errors_with_line(tmp_path: Path) -> None:
    """Issue 17: deep TOML ended in 'failed (RecursionError)'; a deep YAML flow sequence
    crashed the whole scan with a segmentation fault in libyaml (no report at all). Run
    as a separate process: on the old code the crash would take the test run with it."""
    tree = tmp_path / "tree"
    tree.mkdir()
    depth = 40_000
    (tree / "deep.yaml").write_text("ok: 1\na: " + "[" * depth + "]" * depth + "\n")
    (tree / "deep.toml").write_text("ok = 1\n\na = " + "[" * depth + "]" * depth + "\n")
    (tree / "deep.json").write_text('{"ok": 1,\n"a": ' + "[" * depth + "]" * depth + "}")
    (tree / "fine.yaml").write_text("server:\n  port: 8080\n")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "auditor.cli.main", "scan", str(tree), "-j1",
                           "--format", "json", "-o", str(out), "-q"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 3, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    errors = {Path(t["uri"]).name: t.get("error") for t in report["targets"]}
    assert errors["deep.yaml"] == f"invalid YAML: YAML nested more than {MAX_DEPTH} levels " \
                                  "deep at line 2"
    assert errors["deep.toml"] == f"invalid TOML: TOML nested more than {MAX_DEPTH} levels " \
                                  "deep at line 3"
    assert errors["deep.json"] == f"invalid JSON: JSON nested more than {MAX_DEPTH} levels " \
                                  "deep at line 2"
    assert errors["fine.yaml"] is None


@pytest.mark.parametrize(("check", "text", "line"), [
    (yaml_nesting, "a:\n  b: " + "[" * 300 + "]" * 300, 2),
    (yaml_nesting, "".join(" " * i + "k:\n" for i in range(300)) + " " * 300 + "v\n", 201),
    (yaml_nesting, "- " * 300 + "x\n", 1),
    (toml_nesting, 'a = """[[[[\n"""\n# [[[[[\nb = ' + "{c = " * 250 + "1" + "}" * 250, 4),
    (json_nesting, '{"s": "[[[[[[",\n"t": ' + "[" * 250 + "]" * 250 + "}", 2),
])
def test_depth_is_found_with_its_line(check: object, text: str, line: int) -> None:
    with pytest.raises(NestingError) as info:
        check(text)  # type: ignore[operator]
    assert info.value.line == line


@pytest.mark.parametrize(("check", "text"), [
    (yaml_nesting, "a: [" + ", ".join(f"[{i}]" for i in range(5000)) + "]\n"),
    (toml_nesting, 'a = "' + "[" * 500 + '"\n# ' + "{" * 500 + "\n"),
    (json_nesting, '{"a": "' + "[" * 500 + '", "b": ' + "[[1]]," * 0 + "[" * 199 + "]" * 199
     + "}"),
])
def test_wide_or_quoted_brackets_are_not_depth(check: object, text: str) -> None:
    check(text)  # type: ignore[operator]


def test_an_edited_signature_record_never_verifies(tmp_path: Path) -> None:
    """Found by the fuzzing suite: the signature record's 'algorithm' field (not covered by
    the signature) could be edited and the bundle still verified as intact."""
    from auditor.reports.json import JsonReporter

    from auditor.bundle.evidence import verify_evidence, write_evidence
    from auditor.bundle.signing import generate_key
    from tests.fakes import fake_engine, run, tree

    base = tmp_path / "scan"
    tree(base, {"app.kv": "debug = true\n"})
    key = generate_key()
    bundle = tmp_path / "bundle"
    write_evidence(run(fake_engine(base), base / "tree"), bundle, [JsonReporter()], key,
                   host="h")
    sig = next(p for p in bundle.iterdir() if p.name.endswith(".sig"))
    original = sig.read_bytes()
    assert verify_evidence(bundle, key.public_key()).ok
    for edited in (original.replace(b'"algorithm"', b'"`lgorithm"'),
                   original.replace(b'"Ed25519"', b'"Ed448"'),
                   original.replace(b"{\n", b'{\n  "note": "x",\n'),
                   original.replace(b"\n}", b"  \n}")):
        sig.write_bytes(edited)
        report = verify_evidence(bundle, key.public_key())
        assert not report.ok and "signature record was altered" in str(report.problems)


@pytest.mark.parametrize(("text", "line"), [
    ("[s]\nkey\n  continued\n", 3),
    ("a = 1\n[s]\n# note\nflag\n\tmore\n", 5),
])
def test_ini_continuation_after_bare_key_is_a_clear_error(tmp_path: Path, text: str,
                                                          line: int) -> None:
    """Found by the fuzzing suite: configparser raised AttributeError on this shape."""
    from auditor.errors import TargetError
    from tests.scanners.test_config_formats import scan
    with pytest.raises(TargetError) as info:
        scan(tmp_path, "app.ini", text)
    assert info.value.line == line and f"line {line}" in str(info.value)
