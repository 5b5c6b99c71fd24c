"""Facts about an X.509 certificate and about public keys, shared by every scanner.

The crypto scanner (certificate files) and the capture scanner (certificates seen in TLS
handshakes) both build ``crypto.certificate`` observations from :func:`certificate_facts`,
so the same rules apply to both. Facts only, no policy: ``key_bits`` is reported, the
rules decide that 1024 is too short.

Attributes of :func:`certificate_facts` (all JSON-safe)::

    subject_cn, issuer_cn, subject, issuer, serial, version
    key_type (rsa|ec|dsa|ed25519|ed448|x25519|x448|dh|unknown), key_bits, curve
    signature_algorithm (e.g. sha256WithRSAEncryption), signature_hash (md5|sha1|sha256|...|None)
    not_before, not_after (ISO 8601 UTC), not_before_yyyymmdd (e.g. 20260101), expired,
    not_yet_valid, days_to_expiry, lifetime_days, self_issued, self_signed, has_san,
    san_dns, san_ip, is_ca, path_length, key_usage, extended_key_usage, sha256,
    trust_anchor (a self-issued CA naming no host: a root)
    cabf_policy (EV|OV|IV|DV: the CA/Browser Forum reserved TLS policy the certificate
    asserts, as every publicly trusted TLS server certificate must; None otherwise)

Example::

    >>> facts = certificate_facts(cert, datetime.date(2026, 1, 1))
    >>> facts["key_type"], facts["key_bits"], facts["expired"]
    ('rsa', 2048, False)
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import (
    dh,
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
    x448,
    x25519,
)
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from auditor.masking import mask
from auditor.models import JSONValue

__all__ = ["certificate_facts", "mask_personal_names", "public_key_facts", "signature_hash_name"]

# NOTE: names by OID so that hashes cryptography refuses to instantiate (MD2, MD4) are
# still reported instead of raising.
_SIG_HASH_BY_OID: dict[str, str] = {
    "1.2.840.113549.1.1.2": "md2",
    "1.2.840.113549.1.1.3": "md4",
    "1.2.840.113549.1.1.4": "md5",
    "1.2.840.113549.1.1.5": "sha1",
    "1.2.840.113549.1.1.14": "sha224",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
    "1.2.840.10040.4.3": "sha1",  # dsa-with-sha1
    "2.16.840.1.101.3.4.3.1": "sha224",
    "2.16.840.1.101.3.4.3.2": "sha256",
    "1.2.840.10045.4.1": "sha1",  # ecdsa-with-SHA1
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}

_EKU_NAMES: dict[x509.ObjectIdentifier, str] = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}


def public_key_facts(key: object) -> dict[str, JSONValue]:
    """``key_type``, ``key_bits`` and ``curve`` of a public or private key object."""
    with warnings.catch_warnings():
        # NOTE: cryptography deprecates FFDH/DSA; auditing old keys is the point here.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return _public_key_facts(key)


def _public_key_facts(key: object) -> dict[str, JSONValue]:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return {"key_type": "rsa", "key_bits": key.key_size, "curve": None}
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return {"key_type": "ec", "key_bits": key.curve.key_size, "curve": key.curve.name}
    if isinstance(key, dsa.DSAPublicKey | dsa.DSAPrivateKey):
        return {"key_type": "dsa", "key_bits": key.key_size, "curve": None}
    if isinstance(key, dh.DHPublicKey | dh.DHPrivateKey):
        return {"key_type": "dh", "key_bits": key.key_size, "curve": None}
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return {"key_type": "ed25519", "key_bits": 256, "curve": "ed25519"}
    if isinstance(key, ed448.Ed448PublicKey | ed448.Ed448PrivateKey):
        return {"key_type": "ed448", "key_bits": 456, "curve": "ed448"}
    if isinstance(key, x25519.X25519PublicKey | x25519.X25519PrivateKey):
        return {"key_type": "x25519", "key_bits": 256, "curve": "x25519"}
    if isinstance(key, x448.X448PublicKey | x448.X448PrivateKey):
        return {"key_type": "x448", "key_bits": 448, "curve": "x448"}
    return {"key_type": "unknown", "key_bits": None, "curve": None}


def signature_hash_name(cert: x509.Certificate) -> str | None:
    """Lower-case name of the hash in the certificate signature, None for EdDSA/unknown."""
    name = _SIG_HASH_BY_OID.get(cert.signature_algorithm_oid.dotted_string)
    if name is not None:
        return name
    try:
        algo = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return algo.name.lower() if isinstance(algo, hashes.HashAlgorithm) else None


def _cn(name: x509.Name) -> str | None:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def _verifies_itself(cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, TypeError, UnsupportedAlgorithm):
        return False
    except ValueError:
        # NOTE: cryptography refuses SHA-1/MD5 certificate signatures ("Unsupported
        # signature algorithm"); old self-signed certificates are exactly what we audit,
        # so check the signature with the raw public-key API.
        return _verify_legacy(cert)
    return True


def _verify_legacy(cert: x509.Certificate) -> bool:
    hash_cls = _HASHES.get(signature_hash_name(cert) or "")
    if hash_cls is None:
        return False
    key = cert.public_key()
    data, sig = cert.tbs_certificate_bytes, cert.signature
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, data, padding.PKCS1v15(), hash_cls())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, data, ec.ECDSA(hash_cls()))
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(sig, data, hash_cls())
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _extension_facts(cert: x509.Certificate) -> dict[str, JSONValue]:
    exts = cert.extensions
    out: dict[str, JSONValue] = {}
    try:
        san = exts.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    dns: list[JSONValue] = []
    ips: list[JSONValue] = []
    if san is not None:
        dns.extend(sorted(san.get_values_for_type(x509.DNSName)))
        ips.extend(sorted(str(i) for i in san.get_values_for_type(x509.IPAddress)))
    out["has_san"] = san is not None and len(san) > 0
    out["san_dns"] = dns
    out["san_ip"] = ips
    try:
        bc = exts.get_extension_for_class(x509.BasicConstraints).value
        out["is_ca"], out["path_length"] = bc.ca, bc.path_length
    except x509.ExtensionNotFound:
        out["is_ca"], out["path_length"] = False, None
    usages: list[JSONValue] = []
    try:
        ku = exts.get_extension_for_class(x509.KeyUsage).value
        for attr in ("digital_signature", "content_commitment", "key_encipherment",
                     "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"):
            if getattr(ku, attr):
                usages.append(attr)
    except x509.ExtensionNotFound:
        pass
    out["key_usage"] = usages
    ekus: list[JSONValue] = []
    try:
        eku = exts.get_extension_for_class(x509.ExtendedKeyUsage).value
        ekus = [_EKU_NAMES.get(oid, oid.dotted_string) for oid in eku]
    except x509.ExtensionNotFound:
        pass
    out["extended_key_usage"] = ekus
    return out


def certificate_facts(cert: x509.Certificate, as_of: dt.date) -> dict[str, JSONValue]:
    """All rule-relevant facts of ``cert``, judged against the date ``as_of``.

    ``expired`` is true when ``as_of`` is after the day of ``notAfter``; ``not_yet_valid``
    when it is before the day of ``notBefore``; ``days_to_expiry`` counts whole days from
    ``as_of`` to the ``notAfter`` day (negative once expired); ``lifetime_days`` is the whole
    number of days between ``notBefore`` and ``notAfter``.
    """
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    try:
        ext_facts = _extension_facts(cert)
    except ValueError:  # NOTE: a malformed extension must not hide the other facts
        ext_facts = {"has_san": False, "san_dns": [], "san_ip": [], "is_ca": False,
                     "path_length": None, "key_usage": [], "extended_key_usage": [],
                     "extensions_malformed": True}
    try:
        key_facts = public_key_facts(cert.public_key())
    except (ValueError, UnsupportedAlgorithm):
        key_facts = {"key_type": "unknown", "key_bits": None, "curve": None}
    self_issued = cert.issuer == cert.subject
    sig_oid = cert.signature_algorithm_oid
    facts: dict[str, JSONValue] = {
        "subject_cn": _cn(cert.subject),
        "issuer_cn": _cn(cert.issuer),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "version": cert.version.value + 1,
        **key_facts,
        "signature_algorithm": getattr(sig_oid, "_name", None) or sig_oid.dotted_string,
        "signature_hash": signature_hash_name(cert),
        "not_before": _iso(not_before),
        "not_before_yyyymmdd": int(not_before.strftime("%Y%m%d")),
        "not_after": _iso(not_after),
        "expired": as_of > not_after.date(),
        "not_yet_valid": as_of < not_before.date(),
        "days_to_expiry": (not_after.date() - as_of).days,
        "lifetime_days": (not_after - not_before).days,
        "self_issued": self_issued,
        "self_signed": self_issued and _verifies_itself(cert),
        **ext_facts,
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }
    facts["trust_anchor"] = _is_trust_anchor(facts)
    facts["cabf_policy"] = _cabf_policy(cert)
    return facts


# CA/Browser Forum reserved policy identifiers of TLS server certificates (BR 7.1.6.1)
_CABF_TLS_POLICIES = {"2.23.140.1.1": "EV", "2.23.140.1.2.2": "OV", "2.23.140.1.2.3": "IV",
                      "2.23.140.1.2.1": "DV"}


def _cabf_policy(cert: x509.Certificate) -> str | None:
    """The CA/B Forum TLS policy a certificate asserts: the mark of a publicly trusted TLS
    server certificate, the only kind the Baseline Requirements' lifetime limits bind."""
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    found = {_CABF_TLS_POLICIES.get(p.policy_identifier.dotted_string) for p in policies}
    for name in ("EV", "OV", "IV", "DV"):
        if name in found:
            return name
    return None


_HOSTNAME = re.compile(r"^(?:\*\.)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$|^localhost$")


def _is_trust_anchor(facts: dict[str, JSONValue]) -> bool:
    """A self-issued CA certificate that names no host: a root, whose signature on itself
    no client checks. ``openssl req -x509`` server certificates are CA:TRUE too, but name
    their host in the SAN or the CN; those are self-signed *server* certificates.

    NOTE: a fact about the certificate's role, not a verdict; rules decide what to make
    of it (``core.cert.self-signed``, ``core.cert.weak-signature``)."""
    if not (facts["self_issued"] and facts["is_ca"]):
        return False
    if facts.get("san_dns") or facts.get("san_ip"):
        return False
    cn = facts.get("subject_cn")
    return not (isinstance(cn, str) and _HOSTNAME.match(cn))


_LEAF_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
_EMAIL_ATTR = ("1.2.840.113549.1.9.1", "emailAddress")


def _masked_name(name: x509.Name) -> str:
    """A distinguished name with every value masked (the shape stays readable)."""
    return ",".join(f"{attr.rfc4514_attribute_name}={mask(str(attr.value))}"
                    for attr in reversed(list(name)))


def mask_personal_names(cert: x509.Certificate, facts: dict[str, JSONValue]) -> bool:
    """Mask, in ``facts``, the subject (and a self-issued or e-mail-bearing issuer) of a
    certificate that may name a person: an e-mail attribute, or a leaf whose common name is
    not a host name (client certificates). One rule for certificate files and certificates
    seen in captures. Returns True when the subject was masked."""
    subject_cn = facts.get("subject_cn")
    subject = str(facts.get("subject"))
    # NOTE: CA certificates name organisations; a leaf whose subject is not a host name
    # may name a person (client certificates), so it is masked.
    personal = any(a in subject for a in _EMAIL_ATTR) or (
        not facts.get("is_ca") and isinstance(subject_cn, str)
        and not _LEAF_HOST.match(subject_cn))
    if personal:
        facts["subject"] = _masked_name(cert.subject)
        facts["subject_cn"] = mask(subject_cn) if isinstance(subject_cn, str) else None
    issuer, issuer_cn = str(facts.get("issuer")), facts.get("issuer_cn")
    if (personal and facts.get("self_issued")) or any(a in issuer for a in _EMAIL_ATTR):
        facts["issuer"] = _masked_name(cert.issuer)
        facts["issuer_cn"] = mask(issuer_cn) if isinstance(issuer_cn, str) else None
    return personal
