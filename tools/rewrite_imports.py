"""Rewrite pre-0.2 module names to the 0.2 layout (a migration aid for plugin authors).

auditor 0.2 put the core into rooms (``auditor.policy``, ``auditor.pipeline``,
``auditor.gate``, ``auditor.bundle``, ``auditor.cli``), moved facts that several plugins
share into ``auditor.knowledge`` and display helpers into ``auditor.views``, and installs
the built-in plugins under the project's namespace (``auditor.scanners``,
``auditor.reports``, ``auditor.rules``) instead of generic top-level names.

Usage: ``python tools/rewrite_imports.py FILE...`` rewrites the files in place and prints
the ones it changed. Inside ``scanners/`` and ``reports/`` imports of the same plugin become
relative, so a plugin's source works under any import name.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["MOVES", "rewrite"]

#: old module -> new module (longest first when applied)
MOVES: dict[str, str] = {
    "auditor.rules": "auditor.policy.rules",
    "auditor.predicates": "auditor.policy.predicates",
    "auditor.evaluate": "auditor.policy.evaluate",
    "auditor.frameworks": "auditor.policy.frameworks",
    "auditor.compliance": "auditor.policy.compliance",
    "auditor.loading": "auditor.policy.loading",
    "auditor.discovery": "auditor.pipeline.discovery",
    "auditor.plugins": "auditor.pipeline.plugins",
    "auditor.engine": "auditor.pipeline.engine",
    "auditor.output": "auditor.pipeline.output",
    "auditor.suppressions": "auditor.gate.suppressions",
    "auditor.baseline": "auditor.gate.baseline",
    "auditor.gating": "auditor.gate.gating",
    "auditor.evidence": "auditor.bundle.evidence",
    "auditor.signing": "auditor.bundle.signing",
    "auditor.commands": "auditor.cli.commands",
    "auditor.summary": "auditor.cli.summary",
    "auditor.cli": "auditor.cli",
    "scanners.crypto.suites": "auditor.knowledge.suites",
    "scanners.crypto.cipherstring": "auditor.knowledge.cipherstring",
    "scanners.crypto.tlspolicy": "auditor.knowledge.tlspolicy",
    "scanners.crypto.sshpolicy": "auditor.knowledge.sshpolicy",
    "scanners.crypto.x509facts": "auditor.knowledge.x509facts",
    "scanners.crypto.data": "auditor.knowledge.data",
    "scanners.config.secrets": "auditor.knowledge.secrets",
    "scanners.config.values": "auditor.knowledge.values",
    "scanners.sqldump": "auditor.scanners.database.sqldump",
    "reports.common": "auditor.views",
    "scanners": "auditor.scanners",
    "reports": "auditor.reports",
    "rules": "auditor.rules",
}

_PLUGIN_ROOTS = ("scanners", "reports")


def _module_of(path: Path) -> str | None:
    """The pre-0.2 dotted package of a file under scanners/ or reports/ of a checkout
    (relative to the current directory), else None."""
    try:
        parts = path.resolve().relative_to(Path.cwd().resolve()).parts
    except ValueError:
        return None
    if len(parts) < 2 or parts[0] not in _PLUGIN_ROOTS:
        return None
    return ".".join(parts[:-1])


def _relative(own_pkg: str, target: str) -> str | None:
    """``from <target>`` written relative to ``own_pkg`` when both sit in one plugin."""
    own = own_pkg.split(".")
    tgt = target.split(".")
    if len(own) < 2 or tgt[:2] != own[:2]:
        return None  # different plugin (or the plugin root itself): stay absolute
    common = 0
    while common < min(len(own), len(tgt)) and own[common] == tgt[common]:
        common += 1
    ups = len(own) - common
    rest = ".".join(tgt[common:])
    return "." * (ups + 1) + rest


_FROM = re.compile(r"^(?P<indent>\s*)from (?P<mod>[A-Za-z_][\w.]*) import ", re.MULTILINE)


def rewrite(text: str, path: Path) -> str:
    own_pkg = _module_of(path)
    new_own = own_pkg
    if own_pkg is not None:
        for old in sorted(MOVES, key=len, reverse=True):
            if own_pkg == old or own_pkg.startswith(old + "."):
                new_own = MOVES[old] + own_pkg[len(old):]
                break

    def new_name(mod: str) -> str:
        for old in sorted(MOVES, key=len, reverse=True):
            if mod == old or mod.startswith(old + "."):
                return MOVES[old] + mod[len(old):]
        return mod

    def sub_from(m: re.Match[str]) -> str:
        mod = m["mod"]
        target = new_name(mod)
        if new_own is not None and target.startswith("auditor.scanners.") \
                and new_own.startswith("auditor.scanners."):
            rel = _relative(new_own.removeprefix("auditor."), target.removeprefix("auditor."))
            if rel is not None:
                target = rel
        if new_own == "auditor.reports" and target.startswith("auditor.reports."):
            target = "." + target.removeprefix("auditor.reports.")
        return f"{m['indent']}from {target} import "

    text = _FROM.sub(sub_from, text)
    # `import x.y` statements and dotted names in strings (entry points, patch targets)
    for old in sorted(MOVES, key=len, reverse=True):
        if old in {"scanners", "reports"}:
            text = re.sub(rf"^(\s*)import {old}\.", rf"\1import {MOVES[old]}.", text,
                          flags=re.MULTILINE)
            text = re.sub(rf"([\"'])({old})(\.[A-Za-z_]\w*)", rf"\1{MOVES[old]}\3", text)
        elif old != "rules":
            text = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", MOVES[old], text)
    return text


def main(argv: list[str]) -> int:
    for name in argv:
        path = Path(name)
        if path.suffix != ".py":
            continue
        old = path.read_text("utf-8")
        new = rewrite(old, path)
        if new != old:
            path.write_text(new, "utf-8")
            print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
