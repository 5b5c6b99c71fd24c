"""The public API re-exported from ``auditor`` is deliberate (httpx-style guard)."""

from __future__ import annotations

import auditor


def test_public_api() -> None:
    assert set(auditor.__all__) == {
        "AuditorError", "Candidate", "Claim", "ComplianceItem", "ConfigError", "Control",
        "ExitCode", "Finding", "Location", "Observation", "ObservationKind", "Option",
        "PluginError", "Problem", "RenderOptions", "Reporter", "RulePackError",
        "ScanContext", "ScanOptions", "ScanResult", "Scanner", "Severity", "Target",
        "TargetError", "TargetResult", "__version__",
    }
    for name in auditor.__all__:
        assert getattr(auditor, name) is not None


def test_plugins_and_the_core_respect_the_rooms() -> None:
    """Tests import plugins by their installed names only; no module outside tests names
    another plugin or a renderer (import-linter checks the rest in the lint session)."""
    import ast
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    bad = []
    for path in sorted((repo / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            bad += [f"{path.name}: {n}" for n in names
                    if n.split(".")[0] in {"scanners", "reports", "rules"}]
    assert not bad, bad
