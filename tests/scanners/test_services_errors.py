"""Service configuration parse errors never echo the file's content (issue 17 item 8): a
stray line holding a password is named by file, line and length, in the error, the
reports and the terminal alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from tests.scanners.test_services import scan, write

CANARY = "Hunter2Canary"

STRAY = [
    ("nginx.conf", f"server {{\n  listen 443 ssl;\n  {CANARY}\n}}\n", 3),
    ("nginx.conf", f"http {{\n}}\n{CANARY}\n", 3),
    ("nginx.conf", f"{CANARY} {{\n  listen 80;\n", 1),
    ("pg_hba.conf", f"local all all peer\n{CANARY}\n", 2),
    ("pg_hba.conf", f"host all all 10.0.0.0/8 {CANARY}\n", 1),
    ("sshd_config", f"Port 22\n{CANARY}\n", 2),
    ("httpd.conf", f"<VirtualHost *:443>\n</{CANARY}>\n", 2),
    ("httpd.conf", f"ServerName x\n<{CANARY}>\nListen 80\n", 2),
]


@pytest.mark.parametrize(("name", "text", "line"), STRAY,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(STRAY)])
def test_parse_error_names_the_line_not_the_content(tmp_path: Path, name: str, text: str,
                                                    line: int) -> None:
    from auditor.errors import TargetError
    path = write(tmp_path, name, text)
    with pytest.raises(TargetError) as err:
        scan(path)
    message = str(err.value)
    assert err.value.line == line and f"cfg/{name}:{line}:" in message
    assert CANARY not in message and CANARY.lower() not in message.lower()
    assert f"{len(CANARY)}-character word" in message


def test_known_directive_names_are_still_quoted(tmp_path: Path) -> None:
    from auditor.errors import TargetError
    path = write(tmp_path, "nginx.conf", "server {\n  listen 443\n}\n")
    with pytest.raises(TargetError) as err:
        scan(path)
    assert "directive 'listen' is not terminated by ';'" in str(err.value)


def test_no_output_format_carries_the_stray_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "etc"
    for i, (name, text, _) in enumerate(STRAY):
        write(tree / str(i), name, text)
    out = tmp_path / "out"
    code = main(["scan", str(tree), "-j1", "--format", "json,md,html,csv,sarif,junit",
                 "-o", str(out)])
    assert code == 3
    captured = capsys.readouterr()
    assert CANARY not in captured.out + captured.err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sum(1 for t in report["targets"] if t["status"] == "error") == len(STRAY)
    for path in out.iterdir():
        assert CANARY not in path.read_text(encoding="utf-8"), path.name
