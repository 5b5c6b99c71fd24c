"""Rule packs checked against the observation-kind catalogue (:mod:`auditor.catalogue`).

Every ``match.kind`` must select a kind some installed scanner emits, every predicate
``field:`` and every message placeholder must be readable from those kinds. A problem is
a :class:`~auditor.errors.RulePackError` naming file, line and rule, so a misspelt field
fails when the pack is loaded instead of never firing.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditor.catalogue import Catalogue
from auditor.errors import RulePackError
from auditor.policy.rules import RulePack

__all__ = ["check_packs"]


def check_packs(packs: Iterable[RulePack], catalogue: Catalogue) -> None:
    """Raise RulePackError for the first rule that reads what no observation has."""
    for pack in packs:
        for rule in pack.rules:
            kinds = [r.name for r in rule.refs if r.what == "kind"]
            for ref in rule.refs:
                if ref.what == "kind":
                    if not catalogue.matching(ref.name):
                        raise RulePackError(
                            ref.source, f"match.kind {ref.name!r} is no known observation "
                            f"kind (known: {', '.join(catalogue)})", line=ref.line,
                            rule_id=rule.id)
                    continue
                problem = catalogue.path_problem(kinds, ref.name)
                if problem is not None:
                    where = {"field": "field", "locate": "locate"}.get(
                        ref.what, "message placeholder")
                    raise RulePackError(ref.source, f"{where}: {problem}", line=ref.line,
                                        rule_id=rule.id)
