"""Finding lifecycle across the runs of one system, by fingerprint (pure functions).

A finding is **new** the first time its fingerprint is seen, **open** while later runs still
see it, **fixed** in the first run that no longer sees it, and **reopened** when a fixed
fingerprint comes back. A finding is never called fixed on the strength of a run that could
not look: when the target it was found in could not be scanned (``status: error``), the
finding stays open and that run records it as **unassessed**.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = [
    "FIXED",
    "NEW",
    "OPEN",
    "PRESENT",
    "REOPENED",
    "UNASSESSED",
    "Seen",
    "advance",
    "count_states",
]

NEW, OPEN, REOPENED, FIXED, UNASSESSED = "new", "open", "reopened", "fixed", "unassessed"
#: states of a finding the run saw
PRESENT = frozenset({NEW, OPEN, REOPENED})


@dataclass(frozen=True, slots=True)
class Seen:
    """What a run tells about one fingerprint it saw."""

    severity: int
    suppressed: bool
    subjects: int | None = None


def advance(known: Mapping[str, str], seen: Mapping[str, Seen],
            unassessable: Callable[[str], bool]) -> dict[str, str]:
    """The state of every fingerprint in this run.

    ``known``: status (``open``/``fixed``) of each fingerprint before the run;
    ``seen``: the fingerprints the run reported; ``unassessable(fp)``: the run could not
    look where ``fp`` was found. Fixed findings not seen again get no state (nothing new).
    """
    states: dict[str, str] = {}
    for fp in seen:
        status = known.get(fp)
        states[fp] = NEW if status is None else REOPENED if status == FIXED else OPEN
    for fp, status in known.items():
        if status == OPEN and fp not in seen:
            states[fp] = UNASSESSED if unassessable(fp) else FIXED
    return states


def count_states(states: Mapping[str, str], severity: Mapping[str, int],
                 suppressed: Mapping[str, bool], subjects: Mapping[str, int | None],
                 ) -> dict[str, int | None]:
    """Per-run aggregates stored on the run row."""
    labels = {4: "open_critical", 3: "open_high", 2: "open_medium", 1: "open_low",
              0: "open_info"}
    out: dict[str, int | None] = {name: 0 for name in labels.values()}
    out.update(suppressed=0, new_count=0, fixed_count=0, reopened_count=0,
               unassessed_count=0, subjects=None)
    most: int | None = None
    for fp, state in states.items():
        if state == FIXED:
            out["fixed_count"] = (out["fixed_count"] or 0) + 1
            continue
        if state == NEW:
            out["new_count"] = (out["new_count"] or 0) + 1
        elif state == REOPENED:
            out["reopened_count"] = (out["reopened_count"] or 0) + 1
        elif state == UNASSESSED:
            out["unassessed_count"] = (out["unassessed_count"] or 0) + 1
        if suppressed.get(fp, False):
            out["suppressed"] = (out["suppressed"] or 0) + 1
            continue
        key = labels[severity[fp]]
        out[key] = (out[key] or 0) + 1
        n = subjects.get(fp)
        if n is not None and (most is None or n > most):
            most = n
    out["subjects"] = most
    return out
