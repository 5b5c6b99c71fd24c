"""Certificates seen in TLS handshakes are masked exactly like certificate files
(issue 17 item 7): a client certificate naming a person leaks neither from a capture."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pcap_support import conversation, observations, report, scan
from pcapgen import tls_client_hello, tls_server_flight

from auditor.models import Observation
from tests.scanners.test_crypto import scan as scan_file

PERSON = "Nguyen Van Canary"
EMAIL = "canary.person@example.vn"


def _person_certificate() -> bytes:
    key = ec.derive_private_key(0xC11E, ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PERSON),
                      x509.NameAttribute(NameOID.EMAIL_ADDRESS, EMAIL)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(0xC11E)
            .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    der = _person_certificate()
    return conversation(tmp_path / "tls-client-cert.pcap", 443, [
        ("c", tls_client_hello(0x0303, [0xC02B], sni="portal.example.vn")),
        ("s", tls_server_flight(0x0303, 0xC02B, [der])),
    ])


def _visible(obs: Observation) -> str:
    return repr((obs.attributes, obs.evidence))


def test_capture_certificate_masked_like_the_file(capture: Path, tmp_path: Path) -> None:
    (seen,) = observations(scan(capture), "crypto.certificate")
    text = _visible(seen)
    assert "Canary" not in text and EMAIL not in text and "canary.person" not in text
    pem = tmp_path / "client.pem"
    pem.write_bytes(x509.load_der_x509_certificate(_person_certificate())
                    .public_bytes(serialization.Encoding.PEM))
    (from_file,) = [o for o in scan_file(pem) if isinstance(o, Observation)]
    for key in ("subject", "subject_cn", "issuer", "issuer_cn"):
        assert seen.attributes[key] == from_file.attributes[key], key
    assert seen.evidence["subject_cn"] == from_file.evidence["subject_cn"]


def test_no_report_format_prints_the_person(capture: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, doc = report([capture], out, "--format", "json,md,html,csv,sarif")
    assert code in (0, 1)
    assert "crypto.certificate" in json.dumps(doc)
    for path in out.iterdir():
        body = path.read_text(encoding="utf-8")
        assert PERSON not in body and EMAIL not in body, path.name


def test_host_certificates_stay_readable() -> None:
    facts: dict[str, object] = {"subject_cn": "portal.example.vn",
                                "subject": "CN=portal.example.vn", "is_ca": False,
                                "issuer": "CN=Example CA", "issuer_cn": "Example CA"}
    from auditor.knowledge.x509facts import mask_personal_names
    cert = x509.load_der_x509_certificate(_person_certificate())
    assert mask_personal_names(cert, facts) is False  # type: ignore[arg-type]
    assert facts["subject_cn"] == "portal.example.vn"
