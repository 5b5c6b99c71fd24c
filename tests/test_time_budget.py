"""--time-budget bounds every scanner, even one that yields nothing (issue 20, item 7)."""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

from auditor.models import Location, Observation, Problem, Target
from auditor.pipeline.engine import Engine, hard_limit
from auditor.pipeline.interrupts import _in_callback
from auditor.scanner import Candidate, Claim, Scanner, ScanOptions


class Stuck(Scanner):
    """``spin`` files loop without yielding; ``chatty`` ones yield forever; others finish."""

    name = "stuck"

    def claim(self, candidate: Candidate) -> Claim | None:
        return Claim("text", 50)

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        name = Path(target.locator).name
        if name.startswith("chatty"):
            for n in itertools.count():
                yield Observation("config.setting", Location(target.uri, line=n + 1),
                                  {"key": "k", "value": "v"})
        if name.startswith("spin"):
            try:
                while True:
                    pass
            except Exception:  # NOTE: a scanner swallowing errors must still stop
                pass
        yield Observation("config.setting", Location(target.uri, line=1),
                          {"key": "k", "value": "v"})


def _target(path: Path) -> Target:
    return Target(uri=path.name, locator=str(path), kind="text", scanner="stuck",
                  is_file=True, size=1)


def test_budget_stops_scanners_that_yield_and_that_do_not(tmp_path: Path) -> None:
    files = []
    for name in ("chatty.txt", "ok.txt", "spin.txt"):
        (tmp_path / name).write_text("x")
        files.append(tmp_path / name)
    engine = Engine({"stuck": Stuck()}, ())
    options = ScanOptions(as_of=dt.date(2026, 1, 1), hash_key=b"k", time_budget=0.01)
    result = engine.scan([_target(f) for f in files], options, jobs=1)
    status = {t.uri: (t.status, t.error or "") for t in result.targets}
    assert status["ok.txt"] == ("ok", "")
    for name in ("chatty.txt", "spin.txt"):
        assert status[name][0] == "error"
        assert "time budget of 0.01 s exhausted: the rest of this target was not scanned" \
            in status[name][1]
    assert result.exit_code() == 3  # incomplete, never "clean"


def test_hard_limit_leaves_room_for_scanners_that_stop_themselves() -> None:
    assert hard_limit(None) is None
    assert hard_limit(10) == 12.0


def test_the_timer_never_raises_where_python_would_discard_it() -> None:
    # an exception raised inside a gc callback or a finalizer is discarded ("Exception
    # ignored in ..."): the budget timer skips those moments and fires again shortly
    seen: list[bool] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        seen.append(_in_callback(sys._getframe()))

    class Finalized:
        def __del__(self) -> None:
            seen.append(_in_callback(sys._getframe()))

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)
    Finalized()
    assert seen and all(seen)
    assert not _in_callback(sys._getframe())
