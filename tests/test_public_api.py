"""The public API re-exported from ``auditor`` is deliberate (httpx-style guard)."""

from __future__ import annotations

import auditor


def test_public_api() -> None:
    assert set(auditor.__all__) == {
        "AuditorError", "Candidate", "Claim", "ComplianceItem", "ConfigError", "Control",
        "Finding", "Location", "Observation", "PluginError", "Problem", "Reporter",
        "RulePackError", "ScanOptions", "ScanResult", "Scanner", "Severity", "Target",
        "TargetError", "TargetResult", "__version__",
    }
    for name in auditor.__all__:
        assert getattr(auditor, name) is not None
