"""``trust_anchor``: a root CA is self-signed by definition; an ``openssl req -x509``
server certificate (CA:TRUE too) is not a root and must be reported as self-signed."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from auditor.knowledge.x509facts import certificate_facts

KEY = ec.derive_private_key(0x5EED, ec.SECP256R1())


def self_signed(cn: str, *, ca: bool, san: list[str]) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(KEY.public_key()).serial_number(7)
               .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
               .not_valid_after(dt.datetime(2026, 12, 31, tzinfo=dt.UTC))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in san]), critical=False)
    return builder.sign(KEY, hashes.SHA256())


@pytest.mark.parametrize(("cn", "ca", "san", "anchor"), [
    ("Demo Agency Root CA", True, [], True),              # a root
    ("portal.example.vn", True, ["portal.example.vn"], False),  # openssl req -x509 + SAN
    ("portal.example.vn", True, [], False),               # openssl req -x509, CN only
    ("portal.example.vn", False, ["portal.example.vn"], False),  # a plain leaf
])
def test_trust_anchor(cn: str, ca: bool, san: list[str], anchor: bool) -> None:
    facts = certificate_facts(self_signed(cn, ca=ca, san=san), dt.date(2026, 6, 1))
    assert facts["self_signed"] is True
    assert facts["trust_anchor"] is anchor
