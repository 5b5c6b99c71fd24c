"""Per-type table of the PII detector on the hard-form corpus (tuning and held-out).

Usage: ``python -m tests.pii.hard_report`` (from the repository root). Prints, for each
half, per-type precision, recall, F1 and the gold count; exit 0.
"""

from __future__ import annotations

import sys

from auditor.pii import get_detector
from auditor.pii.evaluation import Labelled, Scores, score
from tests.pii.conftest import load_corpus

__all__ = ["HALVES", "main", "measure", "table"]

HALVES = {"tuning": ("hard_tuning.txt",), "held-out": ("hard_heldout.txt",)}


def measure(corpus: list[Labelled]) -> Scores:
    detector = get_detector()
    predictions = [[(e.type, e.start, e.end) for e in detector.detect(item.text)]
                   for item in corpus]
    return score(corpus, predictions)


def table(scores: Scores) -> str:
    rows = [f"{'type':<22}{'gold':>6}{'prec':>8}{'recall':>8}{'F1':>8}"]
    for entity in scores.types():
        gold = scores.tp.get(entity, 0) + scores.fn.get(entity, 0)
        rows.append(f"{entity:<22}{gold:>6}{scores.precision(entity):>8.3f}"
                    f"{scores.recall(entity):>8.3f}{scores.f1([entity]):>8.3f}")
    rows.append(f"{'micro':<22}{'':>6}{'':>8}{'':>8}{scores.f1():>8.3f}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    names = argv or list(HALVES)
    for half in names:
        corpus = load_corpus(*HALVES[half])
        print(f"== {half} ({len(corpus)} lines)")
        print(table(measure(corpus)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
