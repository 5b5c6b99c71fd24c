"""Malformed database URLs (issue 17, item 12): a clear target error naming what is
wrong, never a recursion, a traceback or the password."""

from __future__ import annotations

import json

import pytest
from auditor.scanners.database.urls import parse_url, redact_url

from auditor.cli import main

PW = "pw-CANARY-5150"


@pytest.mark.parametrize(("url", "message"), [
    (f"postgresql://app:{PW}@db.example:99999/citizens", "bad port"),
    (f"mysql://root:{PW}@127.0.0.1:-1/x", "bad port"),
    (f"postgresql://app:{PW}@db:5432x/x", "bad port"),
    (f"postgresql://app:{PW}@[::1/citizens", "malformed database URL"),
    (f"mariadb://app:{PW}@[fe80::1%eth0:3306/x", "malformed database URL"),
    (f"postgresql://app:{PW}@::1]:5432/x", "malformed database URL"),
])
def test_malformed_url_is_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_url(url, env={})
    assert PW not in str(info.value)
    assert PW not in redact_url(url)


@pytest.mark.parametrize("url", [
    f"postgresql://app:{PW}@db.example:99999/citizens",
    f"postgresql://app:{PW}@[::1/citizens",
])
def test_scan_of_a_malformed_url_is_a_target_error(
        url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", url, "--format", "json", "-q", "--jobs", "1"])
    out = capsys.readouterr()
    assert code == 3, out.err
    assert "Traceback" not in out.err and PW not in out.out + out.err
    (target,) = json.loads(out.out)["targets"]
    assert target["status"] == "error"
    assert "bad port" in target["error"] or "malformed database URL" in target["error"]
