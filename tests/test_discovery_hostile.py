"""Hostile trees for discovery (issue 17, items 3 and 4): a directory that cannot be listed
is a target error, never silence; a symbolic link never hides the real file it points to,
never leads out of the scanned tree unless ``--follow-symlinks`` is given, and special
files (FIFOs, /proc, devices) are never opened."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.pipeline.discovery import DiscoveryOptions, discover
from auditor.pipeline.plugins import load_scanners

CCCD_LOG = "".join(f"2026-11-0{i % 9 + 1} login ok cccd=0010990{i:05d}\n" for i in range(40))

NOBODY = 65534


def as_nobody(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a forked child that dropped root to ``nobody`` (the suite runs as
    root, which can list any directory); its pickled result comes back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            data = pickle.dumps(("ok", fn()))
        except BaseException as exc:  # NOTE: reported to the parent
            data = pickle.dumps(("error", repr(exc)))
            code = 1
        with os.fdopen(write, "wb") as fh:
            fh.write(data)
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(data)
    assert status == "ok", value
    return value


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A scratch directory ``nobody`` can enter (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="auditor-hard-a-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")


@needs_root
def test_unlistable_directory_is_a_target_error(shared_tmp: Path) -> None:
    root = shared_tmp / "t"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "app.log").write_text(CCCD_LOG, encoding="utf-8")
    (root / "open.log").write_text("hello\n", encoding="utf-8")
    root.chmod(0o755)
    (root / "locked").chmod(0o700)  # root-owned: nobody cannot list it
    scanners = load_scanners()
    targets, skipped = as_nobody(lambda: discover([str(root)], scanners))
    assert [t.uri for t in targets] == [f"{root}/open.log"]
    assert [(s.uri, s.status, s.error) for s in skipped] == [
        (f"{root}/locked", "error", "cannot list directory: Permission denied")]


@needs_root
def test_unlistable_directory_makes_the_scan_incomplete(shared_tmp: Path) -> None:
    root = shared_tmp / "t"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "app.log").write_text(CCCD_LOG, encoding="utf-8")
    (root / "notes.txt").write_text("nothing personal\n", encoding="utf-8")
    (root / "locked").chmod(0o700)
    out = shared_tmp / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    # NOTE: the interpreter's library is root-only here: a warm-up scan as root imports
    # every module the scan needs before the child drops privileges
    warm = shared_tmp / "warm"
    warm.mkdir()
    (warm / "notes.txt").write_text("x\n", encoding="utf-8")
    assert main(["scan", str(warm), "--format", "json", "-o", str(shared_tmp / "w"), "-q",
                 "--jobs", "1"]) == 0
    code = as_nobody(lambda: main(["scan", str(root), "--format", "json", "-o", str(out),
                                   "-q", "--jobs", "1", "--framework", "vn-pdpl-2025"]))
    assert code == 3
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    locked = [t for t in doc["targets"] if t["uri"].endswith("/locked")]
    assert locked and locked[0]["status"] == "error"
    # the PII-in-files requirements could not be checked on what was not read
    file_reqs = [c for c in doc["compliance"]
                 if any(r.startswith("core.file.") for r in c["rules"])]
    assert file_reqs and {c["status"] for c in file_reqs} == {"not_assessed"}


def test_symlink_visited_first_does_not_hide_the_real_file(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    (root / "app.log").write_text(CCCD_LOG, encoding="utf-8")
    (root / "00-readme.dat").symlink_to("app.log")
    targets, skipped = discover([str(root)], load_scanners())
    assert [(t.uri, t.scanner) for t in targets] == [(f"{root}/app.log", "files")]
    assert [(s.uri, s.status, s.error) for s in skipped] == [
        (f"{root}/00-readme.dat", "skipped", f"symbolic link to {root}/app.log "
                                             "(scanned there)")]


def test_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.log"
    outside.write_text(CCCD_LOG, encoding="utf-8")
    root = tmp_path / "t"
    root.mkdir()
    (root / "passwd").symlink_to("/etc/passwd")
    (root / "leak.log").symlink_to(outside)
    (root / "etc").symlink_to("/etc")
    targets, skipped = discover([str(root)], load_scanners())
    assert targets == []
    reasons = {Path(s.uri).name: (s.status, s.error) for s in skipped}
    leave = ("skipped", "symbolic link out of the scanned tree (not followed; "
                        "use --follow-symlinks)")
    assert reasons == {"passwd": leave, "leak.log": leave,
                       "etc": ("skipped", "symbolic link to a directory (not followed)")}
    followed, skipped = discover([str(root)], load_scanners(),
                                 DiscoveryOptions(follow_symlinks=True))
    assert [Path(t.uri).name for t in followed] == ["leak.log"]
    assert {Path(s.uri).name: s.error for s in skipped}["passwd"] == \
        "no scanner recognises this file"  # read and sniffed: it was followed


def test_special_files_are_never_opened(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    os.mkfifo(root / "pipe.log")
    (root / "kmsg").symlink_to("/proc/kmsg")
    (root / "null").symlink_to("/dev/null")
    (root / "ok.log").write_text("fine\n", encoding="utf-8")
    for follow in (False, True):
        targets, skipped = discover([str(root)], load_scanners(),
                                    DiscoveryOptions(follow_symlinks=follow))
        assert [Path(t.uri).name for t in targets] == ["ok.log"]
        reasons = {Path(s.uri).name: s.error or "" for s in skipped}
        assert reasons["pipe.log"] == "not a regular file (FIFO), not opened"
        if follow:
            assert reasons["kmsg"] == "special file under /proc, not opened"
            assert reasons["null"] == "not a regular file (character device), not opened"


def test_scan_with_a_kmsg_link_finishes(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: the old code blocked forever reading /proc/kmsg."""
    root = tmp_path / "t"
    root.mkdir()
    (root / "kmsg.log").symlink_to("/proc/kmsg")
    (root / "ok.log").write_text("fine\n", encoding="utf-8")
    assert main(["scan", str(root), "-q", "--follow-symlinks", "--format", "json",
                 "--jobs", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    status = {Path(t["uri"]).name: t["status"] for t in doc["targets"]}
    assert status == {"kmsg.log": "skipped", "ok.log": "ok"}


def test_given_symlink_argument_is_followed(tmp_path: Path) -> None:
    """A link named on the command line is what the user asked for."""
    (tmp_path / "real.log").write_text(CCCD_LOG, encoding="utf-8")
    (tmp_path / "link.log").symlink_to(tmp_path / "real.log")
    targets, _ = discover([str(tmp_path / "link.log")], load_scanners())
    assert [t.uri for t in targets] == [str(tmp_path / "link.log")]
