"""``auditor ciphers``: cipher-string expansion and profile grading from the command line."""

from __future__ import annotations

import json

import pytest

from auditor.cli import main


def test_ciphers_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ciphers", "ECDHE+AESGCM:DES-CBC3-SHA:NOPE", "--protocols", "TLSv1,TLSv1.2",
                 "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["suites"][-1] == "DES-CBC3-SHA"
    assert facts["weak_suites"] == ["DES-CBC3-SHA"]
    assert facts["deprecated_protocols"] == ["TLSv1"]
    assert facts["unknown_cipher_tokens"] == ["NOPE"]
    assert "mozilla-intermediate" in facts["outside_profile"]
    assert "mozilla-old" not in facts["outside_profile"]


def test_ciphers_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ciphers", "ECDHE+AESGCM:!ECDSA"]) == 0
    out = capsys.readouterr().out
    assert "ECDHE-RSA-AES256-GCM-SHA384" in out and "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" in out
    assert "weak suites: none" in out


def test_ciphers_bad_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ciphers", "HIGH", "--protocols", "TLSv9"]) == 2
    assert "unknown protocol 'TLSv9'" in capsys.readouterr().err
