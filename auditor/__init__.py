"""auditor: offline, pluggable auditor for personal-data protection and security compliance."""

from __future__ import annotations

from auditor.errors import AuditorError, ConfigError, PluginError, RulePackError, TargetError
from auditor.models import Location, Observation, Problem, Severity, Target
from auditor.reporting import Reporter
from auditor.results import ComplianceItem, Control, Finding, ScanResult, TargetResult
from auditor.scanner import Candidate, Claim, Scanner, ScanOptions

__version__ = "0.1.0"

__all__ = [
    "AuditorError",
    "Candidate",
    "Claim",
    "ComplianceItem",
    "ConfigError",
    "Control",
    "Finding",
    "Location",
    "Observation",
    "PluginError",
    "Problem",
    "Reporter",
    "RulePackError",
    "ScanOptions",
    "ScanResult",
    "Scanner",
    "Severity",
    "Target",
    "TargetError",
    "TargetResult",
    "__version__",
]
