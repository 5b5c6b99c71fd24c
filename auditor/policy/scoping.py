"""Scoping of requirements that apply only to some systems (sector provisions).

A requirement (or a whole framework) declares ``scope: {param: NAME, any_of: [...]}``;
the framework parameter NAME holds what the audit declared with ``--param
FRAMEWORK.NAME=VALUE``: one value or several, comma-separated
(``vn-pdpl-2025.system_types=cloud,big_data``), ``none`` for "none of them". Undeclared
(the parameter's default ``null``) the requirement ``needs_scoping``; declared without a
match it is ``not_applicable``. A scoping question is never answered with a fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["declared_values", "scope_outcome"]


def declared_values(value: Any) -> frozenset[str] | None:
    """What a scope parameter declares: None when undeclared, else lowercase values
    (``"cloud, big_data"`` -> {cloud, big_data}; ``true`` -> {"true"}; ``none`` -> {})."""
    if value is None or value == "":
        return None
    items = value if isinstance(value, list | tuple | set | frozenset) else \
        str(value).split(",")
    out = {str(v).lower().strip()
           for v in items}
    return frozenset(v for v in out if v and v != "none")


def scope_outcome(scope: Mapping[str, Any], parameters: Mapping[str, Any],
                  ) -> tuple[str | None, str]:
    """(``None`` when the requirement applies | ``not_applicable`` | ``needs_scoping``,
    a short text naming the scope: ``system_types: cloud, big_data``)."""
    if not scope:
        return None, ""
    name = str(scope["param"])
    wanted = {str(v).lower() for v in scope["any_of"]}
    label = f"{name}: {', '.join(str(v).lower() for v in scope['any_of'])}"
    declared = declared_values(parameters.get(name))
    if declared is None:
        return "needs_scoping", label
    return (None if declared & wanted else "not_applicable"), label
