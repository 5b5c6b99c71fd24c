"""The scanner, renderer and pack examples of docs/internals.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.cli import main
from tests.conftest import PluginSite

DOC = Path(__file__).resolve().parents[1] / "docs" / "internals.md"


def _blocks() -> dict[str, str]:
    """``# file: NAME`` code blocks of the page, by file name."""
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for body in re.findall(r"```(?:python|yaml)\n(.*?)```", text, flags=re.S):
        first, _, rest = body.partition("\n")
        m = re.fullmatch(r"# file: (\S+)", first.strip())
        if m:
            out[m.group(1)] = rest
    return out


@pytest.fixture
def site(plugin_site: PluginSite) -> Path:
    blocks = _blocks()
    assert set(blocks) == {"example_htpasswd.py", "example_htpasswd_rules/pack.yaml",
                           "example_tsv.py"}
    toml = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert toml is not None
    entry_points = re.sub(r'\[project\.entry-points\."([^"]+)"\]', r"[\1]", toml.group(1))
    plugin_site.install("example_plugins", entry_points.replace('"', ""),
                        {**blocks, "example_htpasswd_rules/__init__.py": ""})
    return plugin_site.root


def test_the_documented_plugins_scan_judge_and_render(
        site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "web"
    target.mkdir()
    (target / "users.htpasswd").write_text(
        "alice:$2y$05$abcdefghijklmnopqrstuuG2r1dE0mBv3M2l8cT9w0n1x2y3z4A5\n"
        "bob:plain-canary-password\n")
    code = main(["scan", str(target), "--format", "tsv", "--as-of", "2026-11-25"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines() == [f"high\thtpasswd.storage.plaintext\t"
                                f"{target}/users.htpasswd:2"]
    assert "plain-canary-password" not in out
    assert main(["scan", str(target), "-q", "--option", "htpasswd.max_user=1"]) == 2
    assert "htpasswd.max_users" in capsys.readouterr().err
