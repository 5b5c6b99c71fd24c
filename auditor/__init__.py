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
