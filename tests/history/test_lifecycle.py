"""The lifecycle step as a table: (known before, seen now, unassessable) -> states."""

from __future__ import annotations

import pytest

from auditor.history.lifecycle import Seen, advance, count_states

S = Seen(3, False)


@pytest.mark.parametrize(("known", "seen", "blind", "expected"), [
    ({}, {"a": S}, set(), {"a": "new"}),
    ({"a": "open"}, {"a": S}, set(), {"a": "open"}),
    ({"a": "open"}, {}, set(), {"a": "fixed"}),
    ({"a": "fixed"}, {"a": S}, set(), {"a": "reopened"}),
    ({"a": "fixed"}, {}, set(), {}),                      # stays fixed, nothing to record
    ({"a": "open"}, {}, {"a"}, {"a": "unassessed"}),      # its target could not be scanned
    ({"a": "open", "b": "open"}, {"b": S, "c": S}, set(),
     {"a": "fixed", "b": "open", "c": "new"}),
])
def test_advance(known: dict[str, str], seen: dict[str, Seen], blind: set[str],
                 expected: dict[str, str]) -> None:
    assert advance(known, seen, lambda fp: fp in blind) == expected


def test_counts_leave_suppressed_and_fixed_out_of_open() -> None:
    states = {"a": "new", "b": "open", "c": "fixed", "d": "reopened", "e": "unassessed"}
    sev = {"a": 4, "b": 3, "c": 4, "d": 1, "e": 2}
    sup = {"b": True}
    counts = count_states(states, sev, sup, {"a": 120, "d": 7})
    assert counts == {"open_critical": 1, "open_high": 0, "open_medium": 1, "open_low": 1,
                      "open_info": 0, "suppressed": 1, "new_count": 1, "fixed_count": 1,
                      "reopened_count": 1, "unassessed_count": 1, "subjects": 120}
