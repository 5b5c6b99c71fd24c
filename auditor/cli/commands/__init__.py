"""Subcommands of the ``auditor`` CLI, one module each (see :mod:`auditor.cli`)."""
