"""Command-line interface: argument parsing, one module per subcommand, terminal output."""

from __future__ import annotations

from auditor.cli.main import main

__all__ = ["main"]
