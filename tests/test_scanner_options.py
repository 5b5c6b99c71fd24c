"""Scanner options are declared on the scanner classes and checked before the scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import ConfigError
from auditor.pipeline.options import check_scanner_options, declared_options
from auditor.pipeline.plugins import load_scanners

REPO = Path(__file__).resolve().parents[1]
PORTAL = REPO / "fixtures" / "demo" / "portal"


@pytest.mark.parametrize(("option", "known"), [
    ("config.max_byte=10", "config.max_bytes"),
    ("services.assume_openssl=true", "services.assume_openssl3"),
    ("crypto.key_pasword=x", "crypto.key_password"),
    ("pcap.piii=false", "pcap.pii"),
    ("database.sample=5", "database.sample_size"),
    ("files.max_lines=5", "files.max_line"),
])
def test_a_misspelt_option_of_any_scanner_is_exit_2_listing_the_known(
        option: str, known: str, capsys: pytest.CaptureFixture[str]) -> None:
    # NOTE: the portal folder has no capture and no database: options of scanners that
    # get no target are checked all the same
    assert main(["scan", str(PORTAL), "-q", "--option", option]) == 2
    err = capsys.readouterr().err
    assert "unknown option" in err and known in err


@pytest.mark.parametrize("option", [
    "pcap.max_flows=-1", "pcap.pii=maybe", "database.sample_size=abc", "files.max_line=0",
    "config.max_bytes=1.5", "pcap.idle_timeout=nan",
    "nosuchscanner.x=1", "noprefix=1",
])
def test_a_bad_option_value_is_exit_2(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(PORTAL), "-q", "--option", option]) == 2
    assert "option" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["--max-size", "-1"], ["--jobs", "-2"], ["--time-budget", "0"], ["--sample-size", "0"],
])
def test_bad_numbers_on_the_command_line_are_exit_2(argv: list[str]) -> None:
    assert main(["scan", str(PORTAL), "-q", *argv]) == 2


def test_values_are_converted_by_their_declaration() -> None:
    scanners = load_scanners()
    checked = check_scanner_options(scanners, {
        "pcap.pii": "false", "database.sample_size": "25", "database.include": "a.*, b",
        "crypto.key_password": "0123", "pcap.idle_timeout": "1.5"})
    assert checked == {"pcap.pii": False, "database.sample_size": 25,
                       "database.include": ["a.*", "b"], "crypto.key_password": "0123",
                       "pcap.idle_timeout": 1.5}


def test_sqldump_reads_the_database_options() -> None:
    table = declared_options(load_scanners())
    assert "sqldump" not in table
    assert {"sample_size", "seed", "full", "include", "exclude"} <= set(table["database"])


def test_two_scanners_declaring_one_option_differently_is_an_error() -> None:
    from auditor.scanner import Option
    from tests.fakes import KeyValueScanner

    class Other(KeyValueScanner):
        name = "other"
        option_prefix = "database"
        options = (Option("sample_size", "text", "x"),)

    with pytest.raises(ConfigError, match=r"database\.sample_size"):
        declared_options({**load_scanners(), "other": Other()})


def test_scanners_command_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scanners"]) == 0
    out = capsys.readouterr().out
    for name in ("pcap.max_flows", "database.sample_size", "crypto.pkcs12_password",
                 "config.max_bytes", "files.sample_rows", "services.assume_openssl3"):
        assert name in out
