"""``--pack`` adds to the installed packs; packs and frameworks ship through entry points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import PluginError
from auditor.policy.loading import available_frameworks, installed_pack_paths, load_packs
from tests.conftest import PluginSite

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "fixtures" / "demo"

EXTRA_PACK = """\
schema_version: 1
pack: {id: extra, version: "1", title: Extra house rules}
rules:
  - id: extra.config.debug-anywhere
    title: Any debug setting, house rule
    severity: low
    cwe: [CWE-489]
    match:
      kind: config.setting
      where: {field: key_leaf, regex: "(?i)debug"}
    message: "debug setting {key}"
    remediation: Remove it.
    references: []
"""


def _scan(argv: list[str], out: Path) -> dict[str, object]:
    code = main([*argv, "--as-of", "2026-11-25", "--format", "json", "-o", str(out), "-q",
                 "-j", "1"])
    assert code in (0, 1)
    doc: dict[str, object] = json.loads((out / "report.json").read_text())
    return doc


def _pack_ids(doc: dict[str, object]) -> list[str]:
    return sorted({f["pack"] for f in doc["findings"]})  # type: ignore[attr-defined, index]


def test_pack_path_adds_to_the_core_findings(tmp_path: Path) -> None:
    extra = tmp_path / "my-extra.yaml"
    extra.write_text(EXTRA_PACK)
    plain = _scan(["scan", str(DEMO)], tmp_path / "plain")
    added = _scan(["scan", str(DEMO), "--pack", str(extra)], tmp_path / "added")
    core = [f["fingerprint"] for f in plain["findings"]]  # type: ignore[attr-defined]
    assert core, "the demo has core findings"
    fps = [f["fingerprint"] for f in added["findings"]]  # type: ignore[attr-defined]
    assert set(core) <= set(fps)
    extra_findings = [f for f in added["findings"]  # type: ignore[attr-defined]
                      if f["pack"] == "extra"]
    assert extra_findings, "the extra pack's rule fired on the demo's debug settings"
    assert len(fps) == len(core) + len(extra_findings)
    assert {p["id"] for p in added["run"]["packs"]} == {"core", "extra"}  # type: ignore[index]


def test_naming_a_built_in_pack_again_is_not_a_duplicate(tmp_path: Path) -> None:
    doc = _scan(["scan", str(DEMO / "portal"), "--pack", "core"], tmp_path / "o")
    assert [p["id"] for p in doc["run"]["packs"]] == ["core"]  # type: ignore[index]


def test_replacing_the_packs_is_explicit(tmp_path: Path) -> None:
    extra = tmp_path / "my-extra.yaml"
    extra.write_text(EXTRA_PACK)
    doc = _scan(["scan", str(DEMO / "portal"), "--no-default-packs", "--pack", str(extra)],
                tmp_path / "o")
    assert _pack_ids(doc) == ["extra"]
    assert main(["scan", str(DEMO / "portal"), "--no-default-packs", "-q"]) == 2


def test_a_distribution_ships_a_pack_and_a_framework(plugin_site: PluginSite,
                                                      tmp_path: Path) -> None:
    site = plugin_site.root
    pkg = site / "housepack"
    (pkg / "rules").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "rules" / "__init__.py").write_text("")
    (pkg / "rules" / "pack.yaml").write_text(EXTRA_PACK)
    (pkg / "house-framework.yaml").write_text(
        "schema_version: 1\nframework: {id: house-policy, version: '1', title: House policy,"
        " effective_from: '2020-01-01'}\nrequirements:\n  - id: H-1\n    title: No debug\n"
        "    provision: House policy 1\n    rules: [extra.config.debug-anywhere]\n")
    plugin_site.install("housepack", "[auditor.packs]\nhouse = housepack.rules\n\n"
                        "[auditor.frameworks]\nhouse-policy = housepack:FRAMEWORK\n")
    (pkg / "__init__.py").write_text(
        "from pathlib import Path\nFRAMEWORK = Path(__file__).parent / 'house-framework.yaml'\n")
    assert (pkg / "rules") in installed_pack_paths()
    assert "extra" in {p.id for p in load_packs([])}
    assert "house-policy" in {f.id for f in available_frameworks()}
    doc = _scan(["scan", str(DEMO / "portal"), "--framework", "house-policy"], tmp_path / "o")
    assert "extra" in _pack_ids(doc)
    statuses = {c["requirement"]: c["status"] for c in doc["compliance"]}  # type: ignore[attr-defined]
    assert statuses == {"H-1": "fail"}


def test_a_broken_pack_plugin_is_loud(plugin_site: PluginSite) -> None:
    plugin_site.install("brokenpack", "[auditor.packs]\nbroken = no_such_module_xyz\n")
    with pytest.raises(PluginError, match="broken"):
        installed_pack_paths()


BAD_FIELD_PACK = """\
schema_version: 1
pack: {id: typo, version: "1", title: Typos}
rules:
  - id: typo.config.debug
    title: Debug
    severity: low
    cwe: [CWE-489]
    match:
      kind: config.setting
      where:
        all:
          - {field: key_leaf, eq: debug}
          - {field: valeu, eq: true}
    message: "debug {key}"
    remediation: Remove it.
    references: []
"""


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ("", "", 13, ["valeu", "value"]),  # a misspelt field: the known attributes are listed
    ("{field: valeu, eq: true}", "{field: value, eq: true}", 14, ["kye"]),
    ("kind: config.setting", "kind: config.settings", 9, ["config.settings"]),
    ("{field: valeu, eq: true}", "{field: location.lien, eq: 3}", 13, ["location.lien"]),
])
def test_a_rule_reading_what_no_observation_has_is_exit_2_with_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, *,
        line: int, words: list[str]) -> None:
    text = BAD_FIELD_PACK.replace(old, new) if old else BAD_FIELD_PACK
    if "kye" in words:
        text = text.replace('message: "debug {key}"', 'message: "debug {kye}"')
    pack = tmp_path / "typo.yaml"
    pack.write_text(text)
    assert main(["scan", str(DEMO / "portal"), "-q", "--pack", str(pack)]) == 2
    err = capsys.readouterr().err
    assert f"{pack}:{line}:" in err and "typo.config.debug" in err
    assert all(w in err for w in words)
    assert main(["packs", "validate", str(pack)]) == 2
    assert f"{pack}:{line}:" in capsys.readouterr().err


def test_the_built_in_packs_read_only_what_the_scanners_emit() -> None:
    from auditor.pipeline.plugins import catalogue_of, load_scanners

    load_packs([], catalogue=catalogue_of(load_scanners()))
