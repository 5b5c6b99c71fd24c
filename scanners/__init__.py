"""Built-in scanner plugins (registered in pyproject.toml under auditor.scanners)."""
