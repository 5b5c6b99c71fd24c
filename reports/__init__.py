"""Built-in report renderers (registered in pyproject.toml under auditor.reports)."""
