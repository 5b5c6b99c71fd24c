"""Subcommand modules of the ``auditor`` CLI; each exposes ``register(subparsers)``."""
