"""Terminal manners (issue 20, item 5): NO_COLOR, width, help texts, quiet broken pipes."""

from __future__ import annotations

import errno
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.cli.main import COMMANDS

ESC = "\x1b["
SECRET_YAML = ("database:\n  password: Xk9-mQ2-vL7-pR4-zT8-canary\n"
               "  url: postgresql://app:Pw-4432-canary@db.internal/portal\ndebug: true\n"
               "ssl:\n  verify: false\n")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR",
                                                             "COLUMNS", "TERM"}}
    env.update(TERM="xterm-256color", **extra)
    return env


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run auditor with stdout on a real pseudo-terminal; returns exit code and output."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "auditor.cli.main", *args], stdout=slave,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError as exc:  # EIO: the child closed the terminal
            if exc.errno != errno.EIO:
                raise
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("term")
    (root / "a-long-folder-name-for-wrapping" / "configuration").mkdir(parents=True)
    (root / "a-long-folder-name-for-wrapping" / "configuration" / "app.yaml").write_text(
        SECRET_YAML)
    return root


@pytest.mark.slow
@pytest.mark.parametrize(("extra", "coloured"), [
    ({"NO_COLOR": "1"}, False),
    ({}, True),
])
def test_colour_follows_no_color_and_tables_fit_80_columns(
        project: Path, extra: dict[str, str], coloured: bool) -> None:
    code, out = _on_a_terminal(["scan", str(project), "--as-of", "2026-11-25"],
                               _env(COLUMNS="80", **extra))
    assert code == 1
    assert (ESC in out) is coloured
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    lines = plain.replace("\r\n", "\n").split("\n")
    assert "findings by severity" in plain and "at or above the threshold" in plain
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "canary" not in plain


def test_no_color_flag_and_width_when_captured(project: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    main(["scan", str(project), "--no-color", "--as-of", "2026-11-25"])
    out = capsys.readouterr().out
    assert ESC not in out and max(len(x) for x in out.splitlines()) <= 80


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_plain_and_lists_environment_and_exit_codes(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "``" not in text and not re.search(r":(class|func|mod|data):`", text)
    assert "AUDITOR_<OPTION>" in text and "NO_COLOR" in text
    assert "exit codes:" in text and "130" in text
    assert "--verbose" in text and "--debug" in text and "--no-color" in text


@pytest.fixture(scope="module")
def big_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipe") / "big.txt"
    path.write_text("".join(f"khach hang {n} so dien thoai 0912{n:06d} email a{n}@example.vn\n"
                            for n in range(6000)))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["detect", "{big}"],
    ["scan", "{dir}", "--format", "json", "-j", "1"],
    ["scan", "--help"],
])
def test_head_closes_the_pipe_quietly(big_text: Path, args: list[str]) -> None:
    argv = [a.format(big=big_text, dir=big_text.parent) for a in args]
    with subprocess.Popen([sys.executable, "-m", "auditor.cli.main", *argv],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()  # `| head -1`
        proc.stdout.close()
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert first
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert code in {0, 1, 141}
