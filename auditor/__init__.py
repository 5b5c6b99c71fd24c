"""auditor: offline, pluggable auditor for personal-data protection and security compliance.

This package's top level is the SDK that plugins and users may import (re-exported here
and guarded by tests/test_public_api.py): records (models, results), the scanner and
renderer interfaces, options and scan context, the observation-kind catalogue, errors and
exit codes; also the modules auditor.masking, auditor.reading, auditor.yamlsource,
auditor.views, auditor.fileio, auditor.pii and auditor.knowledge. The pipeline rooms
(auditor.policy, auditor.pipeline, auditor.gate, auditor.bundle, auditor.cli) are
internal: docs/internals.md draws the line and import-linter keeps it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.catalogue import ObservationKind
    from auditor.errors import (
        AuditorError,
        ConfigError,
        ExitCode,
        PluginError,
        RulePackError,
        TargetError,
    )
    from auditor.models import Location, Observation, Problem, Severity, Target
    from auditor.reporting import RenderOptions, Reporter
    from auditor.results import ComplianceItem, Control, Finding, ScanResult, TargetResult
    from auditor.scanner import Candidate, Claim, Option, ScanContext, Scanner, ScanOptions

#: where each re-exported name lives; imported on first use (PEP 562), so that
#: ``import auditor`` (and every ``auditor`` command's start-up) does not pay for the
#: catalogue, the reporting interface and their dependencies until they are needed
_HOMES: dict[str, str] = {
    "ObservationKind": "auditor.catalogue",
    **dict.fromkeys(("AuditorError", "ConfigError", "ExitCode", "PluginError",
                     "RulePackError", "TargetError"), "auditor.errors"),
    **dict.fromkeys(("Location", "Observation", "Problem", "Severity", "Target"),
                    "auditor.models"),
    **dict.fromkeys(("RenderOptions", "Reporter"), "auditor.reporting"),
    **dict.fromkeys(("ComplianceItem", "Control", "Finding", "ScanResult", "TargetResult"),
                    "auditor.results"),
    **dict.fromkeys(("Candidate", "Claim", "Option", "ScanContext", "Scanner",
                     "ScanOptions"), "auditor.scanner"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'auditor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # NOTE: later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


__version__ = "0.1.0"

__all__ = [
    "AuditorError",
    "Candidate",
    "Claim",
    "ComplianceItem",
    "ConfigError",
    "Control",
    "ExitCode",
    "Finding",
    "Location",
    "Observation",
    "ObservationKind",
    "Option",
    "PluginError",
    "Problem",
    "RenderOptions",
    "Reporter",
    "RulePackError",
    "ScanContext",
    "ScanOptions",
    "ScanResult",
    "Scanner",
    "Severity",
    "Target",
    "TargetError",
    "TargetResult",
    "__version__",
]
