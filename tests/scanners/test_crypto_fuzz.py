"""Property tests: arbitrary input never crashes the crypto or services scanners — it is
either read or rejected with a TargetError (or a Problem) that names the file."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from auditor.scanners.crypto import CryptoScanner
from auditor.scanners.services import ServicesScanner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import TargetError
from auditor.knowledge.cipherstring import expand_openssl_detailed
from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanOptions

OPTIONS = ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"k")
FILES = {"nginx": "nginx.conf", "apache": "apache2.conf", "sshd": "sshd_config",
         "postgresql": "postgresql.conf", "pg_hba": "pg_hba.conf", "mysql": "my.cnf",
         "redis": "redis.conf"}
_TOKENS = st.sampled_from([
    "server", "http", "{", "}", ";", "listen", "443", "ssl", "include", "'", '"', "#", "\n",
    " ", "=", "[mysqld]", "<VirtualHost *:443>", "</VirtualHost>", "Match", "User", "x",
    "host", "all", "0.0.0.0/0", "trust", "ssl_protocols", "TLSv1", "\\", "SSLEngine on",
    "PermitRootLogin", "yes", "tls-port", "6380", "ssl = on", "\t", "*.conf", "-",
])
_TEXT = st.one_of(st.text(max_size=300), st.lists(_TOKENS, max_size=60).map("".join))


def _run(scanner: CryptoScanner | ServicesScanner, kind: str, name: str,
         data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        target = Target(uri=name, locator=str(path), kind=kind, scanner=scanner.name)
        try:
            for item in scanner.scan(target, OPTIONS):
                assert isinstance(item, Observation | Problem)
        except TargetError as exc:
            assert name in str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(FILES)), text=_TEXT)
def test_services_never_crash(kind: str, text: str) -> None:
    _run(ServicesScanner(), kind, FILES[kind], text.encode("utf-8"))


_PEM = st.lists(st.sampled_from([
    "-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
    "-----BEGIN PRIVATE KEY-----\n", "-----END PRIVATE KEY-----\n",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n", "-----END OPENSSH PRIVATE KEY-----\n",
    "-----BEGIN RSA PRIVATE KEY-----\n", "-----END RSA PRIVATE KEY-----\n",
    "Proc-Type: 4,ENCRYPTED\n", "MIIB", "AAAA\n", "b3BlbnNzaC1rZXktdjEAAAAA\n", "====\n",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB x\n", "ssh-dss AAAA\n", "\n", "garbage\n",
]), max_size=20).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["pem", "authorized_keys"]), text=_PEM)
def test_crypto_text_never_crashes(kind: str, text: str) -> None:
    _run(CryptoScanner(), kind, "authorized_keys" if kind == "authorized_keys" else "x.pem",
         text.encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["der", "pkcs12"]),
       data=st.one_of(st.binary(max_size=200),
                      st.binary(max_size=200).map(lambda b: b"\x30\x82" + b)))
def test_crypto_binary_never_crashes(kind: str, data: bytes) -> None:
    _run(CryptoScanner(), kind, "x.p12" if kind == "pkcs12" else "x.der", data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "ALL", "DEFAULT", "HIGH", "MEDIUM", "LOW", "EXPORT", "aNULL", "eNULL", "RC4", "3DES",
    "kRSA", "ECDHE", "EDH", "AESGCM", "CHACHA20", "SHA1", "@STRENGTH", "@SECLEVEL=2",
    "!", "-", "+", ":", ",", " ", "BOGUS", "AES128-SHA", "TLSv1.2",
]), max_size=25).map("".join))
def test_cipher_strings_never_crash(spec: str) -> None:
    exp = expand_openssl_detailed(spec)
    assert len({s.code for s in exp.suites}) == len(exp.suites)  # no suite twice
    assert all("TLS13" not in s.flags for s in exp.suites)
