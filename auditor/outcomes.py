"""The compliance outcome vocabulary and its mapping onto the JSON contract's ``status``.

A requirement's **outcome** says what this run established about it:

- ``fail``: an automated check found a violation (an unsuppressed finding counts for it);
- ``no_finding``: the automated checks that were run found nothing. This is *not*
  conformity: ``coverage`` and ``checked`` say how much of the requirement they cover;
- ``not_applicable``: the audited system is declared out of the requirement's scope
  (``--param FRAMEWORK.NAME=VALUE``, e.g. ``vn-pdpl-2025.system_types=none``);
- ``needs_scoping``: the requirement applies only to some systems (cloud, big data,
  cardholder data...) and the scope was not declared; never a fail;
- ``attested``: a manual requirement the assessor recorded as passed (``--attestations``,
  valid on ``--as-of``); JSON status ``pass``;
- ``manual``: for the auditor (guidance and procedure; ``review`` when findings point to
  where the check applies);
- ``not_assessed``: no scanner looked at what the automated checks need.

``coverage`` is ``automated`` (the selected rules are the whole check), ``partial`` (they
check part of it; the rest is in the manual procedure) or ``manual``.

The JSON report keeps ``status`` within the schema's enum (``pass|fail|not_assessed|
manual``) for existing consumers: :data:`STATUS_OF` maps outcomes onto it.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["COVERAGES", "OUTCOMES", "STATUS_OF", "outcome_from_status"]

#: outcomes in display order (most urgent first)
OUTCOMES: tuple[str, ...] = ("fail", "needs_scoping", "manual", "attested", "no_finding",
                             "not_assessed", "not_applicable")
COVERAGES: tuple[str, ...] = ("automated", "partial", "manual")

#: outcome -> the JSON contract's status
STATUS_OF: Mapping[str, str] = {
    "fail": "fail", "no_finding": "pass", "attested": "pass", "manual": "manual",
    "not_assessed": "not_assessed",
    "not_applicable": "not_assessed", "needs_scoping": "not_assessed",
}


def outcome_from_status(status: str) -> str:
    """The outcome of an item read from a report written before outcomes existed."""
    return {"pass": "no_finding"}.get(status, status)
