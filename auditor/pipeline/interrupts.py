"""Interrupts and time budgets (issue 20, items 6 and 7).

**Interrupts.** Inside :func:`interruptible`, SIGTERM (a supervisor, ``timeout``, a CI
runner cancelling a job) behaves like SIGINT (Ctrl-C): it raises :class:`Interrupted` in
the main thread, where the engine stops, kills its workers and returns what was finished
so the scan command can write it as a report marked incomplete (exit 130). That takes
well under a second; a second SIGINT or SIGTERM meanwhile is acknowledged and the
finished work is still written; a third exits at once (reports are swapped in as a set,
so an exit mid-write leaves the previous set whole). Worker processes ignore SIGINT
(:func:`worker_init`): a Ctrl-C in the terminal reaches the whole process group, and only
the parent decides; no worker prints a traceback.

**Time budgets.** :func:`time_limit` bounds one scanner run with a real-time timer
(``setitimer``) that raises :class:`BudgetExceeded` wherever the scanner is, even in a
loop that yields nothing; where timers are unavailable (not the main thread), the engine
still checks the budget between the items a scanner yields. :class:`BudgetExceeded` is a
``BaseException`` so that a scanner's ``except Exception`` cannot swallow it.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["BudgetExceeded", "Interrupted", "after_interrupt", "interruptible",
           "time_limit", "worker_init"]

EXIT_INTERRUPTED = 130


class Interrupted(KeyboardInterrupt):
    """The scan was asked to stop (SIGINT or SIGTERM); ``signame`` says which."""

    def __init__(self, signame: str = "SIGINT") -> None:
        super().__init__(signame)
        self.signame = signame


class BudgetExceeded(BaseException):
    """A scanner ran past its ``--time-budget``."""


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


_AGAIN = [0]
_QUIET_EXIT = [False]


def _again(signum: int, frame: FrameType | None) -> None:
    _AGAIN[0] += 1
    if _AGAIN[0] == 1:
        os.write(2, b"auditor: already stopping: writing the finished work "
                    b"(interrupt again to exit without it)\n")
        return
    os.write(2, b"auditor: interrupted again: exiting now\n")
    os._exit(EXIT_INTERRUPTED)


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` like SIGINT, for the duration of the block."""
    if not _main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, _raise)
    try:
        yield
    finally:
        for s, handler in old.items():
            # NOTE: after an interrupt (``after_interrupt``) the "already stopping"
            # handlers stay: the finished work is written after this block, and a second
            # press then must be acknowledged, not kill the write (a third still exits).
            if signal.getsignal(s) is not _again:
                signal.signal(s, handler)


def _quiet_exit() -> None:
    # NOTE: at exit Python puts the default handlers back, and a second press arriving
    # then (a fast stop finishes within the moment between two presses) would kill the
    # process and turn exit 130 into "killed by SIGINT": it is exiting already.
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)


def after_interrupt() -> None:
    """After the first interrupt: the second is acknowledged, the third exits at once."""
    if _main_thread():
        _AGAIN[0] = 0
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, _again)
        if not _QUIET_EXIT[0]:
            _QUIET_EXIT[0] = True
            atexit.register(_quiet_exit)


def worker_init() -> None:
    """Process-pool initializer: the parent handles Ctrl-C; SIGTERM just ends a worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


_TIMER_LAG = 0.25
_TIMER_REPEAT = 0.1


def _in_callback(frame: FrameType | None) -> bool:
    """True inside a gc callback, a finalizer or the unraisable hook, where Python would
    discard the exception (the repeating timer tries again a moment later)."""
    codes = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    hook = sys.unraisablehook
    codes.add(getattr(getattr(hook, "func", hook), "__code__", None))
    while frame is not None:
        if frame.f_code in codes or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    if not _in_callback(frame):
        raise BudgetExceeded()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[Callable[[], bool]]:
    """Bound the block to ``seconds`` of real time; yields an ``expired()`` check."""
    if seconds is None or seconds <= 0:
        yield lambda: False
        return
    import time

    deadline = time.monotonic() + seconds

    def expired() -> bool:
        return time.monotonic() >= deadline

    use_timer = _main_thread() and hasattr(signal, "setitimer") and sys.platform != "win32"
    if not use_timer:
        yield expired
        return
    old = signal.signal(signal.SIGALRM, _on_alarm)
    # NOTE: the timer fires a little after the deadline, so scanners that yield are
    # stopped cleanly by ``expired()`` first; it repeats, because an exception raised
    # while Python runs a gc or __del__ callback is discarded, and must come again
    signal.setitimer(signal.ITIMER_REAL, seconds + _TIMER_LAG, _TIMER_REPEAT)
    try:
        yield expired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
