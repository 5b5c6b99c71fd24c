"""The services scanner on unmodified Debian 12 default configurations (tests/scanners/data).

What a real audit of a fresh Debian server reports: plain HTTP sites, Apache's
``default-ssl`` inheriting ``SSLProtocol all -SSLv3`` (TLS 1.0/1.1 allowed), and sshd's
password authentication left at the OpenSSH default. Redis and PostgreSQL defaults listen
on loopback only and produce nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from auditor.cli import main

DATA = Path(__file__).resolve().parent / "data" / "debian12"

EXPECTED = sorted([
    ("core.http.cleartext", "debian12/apache2/sites-enabled/000-default.conf", 1),
    ("core.http.cleartext", "debian12/nginx/sites-enabled/default", 22),
    ("core.tls.deprecated-protocol", "debian12/apache2/mods-enabled/ssl.conf", 71),
    ("core.sshd.password-authentication", "debian12/ssh/sshd_config", 1),
])


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("debian")
    shutil.copytree(DATA, work / "debian12")
    out = work / "out"
    cwd = os.getcwd()
    os.chdir(work)
    try:
        assert main(["scan", "debian12", "--pack", "core", "--format", "json", "-o",
                     str(out), "--as-of", "2026-11-25", "-q"]) == 1
    finally:
        os.chdir(cwd)
    data: dict[str, object] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


def test_debian_defaults_findings(doc: dict[str, object]) -> None:
    findings = doc["findings"]
    assert isinstance(findings, list)
    got = sorted((f["rule_id"], f["location"]["uri"], f["location"]["line"]) for f in findings)
    assert got == EXPECTED


def test_debian_defaults_all_parsed(doc: dict[str, object]) -> None:
    targets = doc["targets"]
    assert isinstance(targets, list)
    assert [t["uri"] for t in targets if t["status"] == "error"] == []
    scanned = {t["uri"]: t["observations"] for t in targets if t["scanner"] == "services"}
    assert scanned["debian12/redis/redis.conf"] > 50  # every directive of the real file
    # fragments included by nginx.conf / apache2.conf are reported through their main file
    assert scanned["debian12/nginx/sites-enabled/default"] == 0
    assert scanned["debian12/apache2/sites-enabled/default-ssl.conf"] == 0


def test_apache_default_ssl_inherits_mod_ssl_settings(doc: dict[str, object]) -> None:
    findings = doc["findings"]
    assert isinstance(findings, list)
    (tls,) = [f for f in findings if f["rule_id"] == "core.tls.deprecated-protocol"]
    assert "TLSv1, TLSv1.1" in tls["message"]
    assert "debian12/apache2/mods-enabled/ssl.conf:71" in tls["message"]
