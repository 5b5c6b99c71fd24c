"""Scanner options checked in one place, before the scan (ARCHITECTURE.md "Declared").

Every ``--option PREFIX.NAME=VALUE`` must name an option that an installed scanner
declares (``Scanner.options``; PREFIX is the scanner's ``option_prefix`` or its name);
the value is checked and converted by the declaration, then each scanner's own
``check_options`` looks at the combination. Any problem is a ConfigError (exit 2) that
lists the known options, so a typo never turns into a silently ignored setting or into
one failed target per file.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from auditor.errors import ConfigError
from auditor.models import JSONValue
from auditor.scanner import Option, Scanner, ScanOptions

__all__ = ["check_scanner_options", "declared_options"]


def declared_options(scanners: Mapping[str, Scanner]) -> dict[str, dict[str, Option]]:
    """prefix -> option name -> declaration, over every installed scanner."""
    out: dict[str, dict[str, Option]] = {}
    for name, scanner in scanners.items():
        prefix = scanner.option_prefix or name
        table = out.setdefault(prefix, {})
        for option in scanner.options:
            known = table.get(option.name)
            if known is not None and known != option:
                raise ConfigError(f"scanners declare option {prefix}.{option.name} twice, "
                                  f"differently")
            table[option.name] = option
    return out


def _typed(option: Option, value: JSONValue) -> JSONValue:
    """Command-line text is YAML for typed options and verbatim for text and secrets
    (a password ``0123`` stays ``0123``)."""
    if isinstance(value, str) and option.type in {"bool", "int", "number"}:
        try:
            loaded = yaml.safe_load(value) if value.strip() else value
        except yaml.YAMLError:
            return value
        return loaded if isinstance(loaded, bool | int | float) else value
    return value


def check_scanner_options(scanners: Mapping[str, Scanner], params: Mapping[str, JSONValue],
                          options: ScanOptions | None = None) -> dict[str, JSONValue]:
    """The checked ``params``; ConfigError for an unknown prefix or name or a bad value.
    With ``options`` (the rest of the scan's settings), each scanner's ``check_options``
    then sees the checked values."""
    declared = declared_options(scanners)
    checked: dict[str, JSONValue] = {}
    for key in sorted(params):
        prefix, dot, name = key.partition(".")
        if not dot or prefix not in declared:
            raise ConfigError(f"--option {key}: options are SCANNER.KEY=VALUE with SCANNER "
                              f"one of {', '.join(sorted(declared))}")
        table = declared[prefix]
        if name not in table:
            known = ", ".join(f"{prefix}.{n}" for n in sorted(table)) or "none"
            raise ConfigError(f"--option {key}: unknown option (known {prefix} options: "
                              f"{known}; see 'auditor scanners')")
        checked[key] = table[name].parse(key, _typed(table[name], params[key]))
    if options is not None:
        ready = ScanOptions(options.as_of, options.hash_key, checked, options.time_budget,
                            options.reveal)
        for scanner in scanners.values():
            scanner.check_options(ready)
    return checked
