"""Plugin loading fails loudly: a duplicate name, a wrong base class, an import error."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import PluginError
from auditor.pipeline.plugins import Registry, load_reporters, load_scanners
from auditor.reporting import RenderOptions
from tests.conftest import PluginSite
from tests.reports.sample import sample_result


def _distribution(site: PluginSite, name: str, group: str, entries: dict[str, str],
                  module: str) -> None:
    lines = "".join(f"{k} = {v}\n" for k, v in entries.items())
    site.install(name, f"[{group}]\n{lines}", {f"{name}.py": module})


SCANNER = """
from auditor import Scanner
class Good(Scanner):
    name = "{name}"
    def scan(self, target, ctx):
        return iter(())
class NotAScanner:
    name = "wrong"
"""


def test_a_duplicate_scanner_name_is_loud(plugin_site: PluginSite) -> None:
    _distribution(plugin_site, "plugtest_dup", "auditor.scanners", {"config": "plugtest_dup:Good"},
                  SCANNER.format(name="config"))
    with pytest.raises(PluginError, match="duplicate plugin name 'config'"):
        load_scanners()


def test_a_plugin_of_the_wrong_type_is_loud(plugin_site: PluginSite) -> None:
    _distribution(plugin_site, "plugtest_type", "auditor.scanners",
                  {"wrong": "plugtest_type:NotAScanner"}, SCANNER.format(name="x"))
    with pytest.raises(PluginError, match="is not a Scanner"):
        load_scanners()


def test_a_plugin_that_cannot_be_imported_is_loud(plugin_site: PluginSite,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _distribution(plugin_site, "plugtest_broken", "auditor.reports",
                  {"pdf": "plugtest_broken:Missing"}, "raise ImportError('no pdf library')\n")
    with pytest.raises(PluginError, match="cannot load plugin 'pdf'"):
        load_reporters()
    assert main(["scan", ".", "-q"]) == 2  # a usage error, not a traceback
    assert "cannot load plugin 'pdf'" in capsys.readouterr().err


def test_a_name_that_differs_from_the_entry_point_is_loud(plugin_site: PluginSite) -> None:
    _distribution(plugin_site, "plugtest_name", "auditor.scanners", {"alias": "plugtest_name:Good"},
                  SCANNER.format(name="real"))
    with pytest.raises(PluginError, match="declares name 'real'"):
        load_scanners()


def test_the_registry_is_immutable_and_ordered() -> None:
    reg = Registry([("b", 2), ("a", 1)])
    assert list(reg) == ["a", "b"]
    with pytest.raises(TypeError):
        reg["c"] = 3  # type: ignore[index]


def test_render_options_reach_the_renderer_as_an_argument() -> None:
    reporters = load_reporters()
    english, vietnamese = io.StringIO(), io.StringIO()
    reporters["html"].render(sample_result("en"), english)
    reporters["html"].render(sample_result("en"), vietnamese, RenderOptions(lang="vi"))
    assert 'lang="vi"' in vietnamese.getvalue() and 'lang="en"' in english.getvalue()


def test_a_document_format_needs_an_output_folder(capsys: pytest.CaptureFixture[str]) -> None:
    portal = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "portal"
    assert main(["scan", str(portal), "-q", "--format", "html"]) == 2
    assert "-o" in capsys.readouterr().err
