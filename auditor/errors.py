"""The one exception tree of auditor.

::

    AuditorError
     ├── ConfigError          usage or configuration problem  -> exit code 2
     │    ├── RulePackError   invalid rule pack / framework file (names file, line, rule)
     │    └── PluginError     broken or duplicate scanner / report plugin
     └── TargetError          one target could not be scanned  -> recorded, scan goes on
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["AuditorError", "ConfigError", "ExitCode", "PluginError", "RulePackError",
           "TargetError"]


class ExitCode(IntEnum):
    """The process exit codes of every command (DESIGN.md "CLI")."""

    OK = 0  #: nothing at or above the threshold
    FINDINGS = 1  #: an unsuppressed finding at or above --fail-on
    USAGE = 2  #: usage or configuration error
    INCOMPLETE = 3  #: a target could not be scanned, nothing reached the threshold
    UNTRUSTED = 4  #: verify: the bundle is intact but no trusted key vouches for its signer
    INTERRUPTED = 130  #: stopped by Ctrl-C / SIGINT (128 + signal number)


class AuditorError(Exception):
    """Base of every error auditor raises on purpose."""


class ConfigError(AuditorError):
    """Bad option, unreadable configuration, invalid pack: the run cannot start (exit 2)."""


class RulePackError(ConfigError):
    """A rule pack or framework file is invalid. The message names file, line and problem."""

    def __init__(self, path: str, problem: str, *, line: int | None = None,
                 rule_id: str | None = None) -> None:
        self.path = path
        self.line = line
        self.rule_id = rule_id
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        rule = f" (rule {rule_id})" if rule_id else ""
        super().__init__(f"{where}: {problem}{rule}")


class PluginError(ConfigError):
    """A plugin could not be loaded, or two plugins claim the same name."""


class TargetError(AuditorError):
    """A target (or part of it) could not be scanned.

    The message must say where (file and line, byte offset, packet number, table) and
    must never contain the data that was being read.
    """

    def __init__(self, message: str, *, line: int | None = None,
                 offset: int | None = None) -> None:
        self.line = line
        self.offset = offset
        super().__init__(message)
