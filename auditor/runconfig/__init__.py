"""``auditor.yaml``: the scan configuration of scheduled scans (``auditor run``).

A configuration names **systems** (a name, an owner, an information-security level, its
targets and scan settings) and where results and reports go. It is validated by the JSON
Schema shipped next to this module (``auditor-config.schema.json``); every error names the
file, the line and the key, and is a :class:`ConfigFileError` (exit 2)::

    schema_version: 1
    store: sqlite:////var/lib/auditor/history.sqlite
    reports: /var/lib/auditor/reports
    formats: [json, html]
    schedule: "30 2 * * *"
    defaults: {fail_on: high, frameworks: [vn-pdpl-2025, vn-decree13-2023]}
    systems:
      - name: hr-portal
        owner: Department of Home Affairs
        level: 3
        targets:
          - /srv/hr/config
          - url: postgresql://auditor@db.hr.internal/hr
            password_env: HR_DB_PASSWORD

The sections ``defaults`` (scan settings every system inherits) and ``document`` (who an
audit document names) are the extension points for per-repository defaults and audit
documents; keys starting with ``x-`` are free for local use.
"""

from auditor.runconfig.model import (
    CONFIG_SCHEMA,
    ConfigFileError,
    RunConfig,
    ScanSettings,
    SystemConfig,
    TargetSpec,
    load_config,
    parse_config,
)

__all__ = [
    "CONFIG_SCHEMA",
    "ConfigFileError",
    "RunConfig",
    "ScanSettings",
    "SystemConfig",
    "TargetSpec",
    "load_config",
    "parse_config",
]
