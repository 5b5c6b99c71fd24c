"""Python settings modules (Django ``settings.py`` and friends), read without running them.

The file is parsed with :mod:`ast` (never imported or executed). Each top-level assignment
to an UPPER_CASE name whose value is a literal - a constant, or dicts/lists/tuples of them
- becomes settings: ``DEBUG = True`` -> key ``DEBUG``; ``DATABASES = {"default":
{"PASSWORD": "x"}}`` -> key ``DATABASES.default.PASSWORD`` on the line of that dict key.
An environment lookup with a literal fallback (``os.environ.get("KEY", "dev-secret")``,
``os.getenv(...)``, ``env("KEY", default=...)``, ``config("KEY", default=...)``) counts as
its fallback: that literal is what runs when the variable is missing. Anything else
(function calls, f-strings, names) is not a literal and is skipped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from auditor.errors import TargetError

from .settings import Setting

__all__ = ["python_settings"]

_LOOKUPS = frozenset({"get", "getenv", "env", "config", "environ_get"})


def _fallback(call: ast.Call) -> ast.expr | None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else ""
    if name not in _LOOKUPS:
        return None
    for keyword in call.keywords:
        if keyword.arg == "default":
            return keyword.value
    return call.args[1] if len(call.args) >= 2 else None


def _leaves(node: ast.expr, path: tuple[str | int, ...], line: int,
            depth: int = 0) -> Iterator[Setting]:
    if depth > 50:
        return
    if isinstance(node, ast.Constant) and (node.value is None
                                           or isinstance(node.value, str | int | float | bool)):
        yield Setting.of(path, node.value, line, getattr(node, "end_lineno", None) or line)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str | int):
                yield from _leaves(value, (*path, str(key.value)), key.lineno, depth + 1)
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for index, item in enumerate(node.elts):
            yield from _leaves(item, (*path, index), item.lineno, depth + 1)
    elif isinstance(node, ast.Call):
        fallback = _fallback(node)
        if fallback is not None:
            yield from _leaves(fallback, path, line, depth + 1)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, int | float):
        yield Setting.of(path, -node.operand.value, line, line)


def python_settings(text: str) -> Iterator[Setting]:
    """Literal settings of a Python settings module (see the module docstring)."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        line = exc.lineno
        raise TargetError(f"invalid Python at line {line}: {exc.msg}", line=line) from None
    except (ValueError, RecursionError):
        raise TargetError("invalid Python: cannot be parsed") from None
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                yield from _leaves(value, (target.id,), statement.lineno)
