"""Certificates and cipher strings: auditor vs the ``openssl`` command line, same run.

1. **Certificate files.** A generated tree of PEM certificates (RSA-2048 and EC P-256,
   varied validity, some bundles) is read by auditor's crypto scanner and by the usual
   audit script, ``openssl x509 -noout -text -in FILE`` once per file. Printed: files/s
   for both and the agreement on key size and expiry date (parsed from openssl's text).
2. **Cipher strings.** ``expand_openssl(spec)`` vs ``openssl ciphers -V spec`` on the
   cipher strings of the test suite: expansions/s and how many give the same suites in
   the same order (restricted to suites the local OpenSSL knows).

Usage: ``python benchmarks/bench_crypto.py [--files N] [--seed S]`` (default 400 files).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.scanners.crypto import CryptoScanner  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from auditor.knowledge.cipherstring import expand_openssl  # noqa: E402
from auditor.models import Observation, Target  # noqa: E402
from auditor.scanner import ScanOptions  # noqa: E402

__all__ = ["main"]

AS_OF = dt.date(2026, 11, 25)
SPECS = ["ALL:COMPLEMENTOFALL", "ALL", "DEFAULT", "HIGH:!aNULL:!MD5", "HIGH:MEDIUM:!aNULL",
         "kEDH+aRSA", "EECDH+AESGCM:EDH+AESGCM", "ALL:@STRENGTH", "AES:-SHA1:+AES256",
         "ECDHE:DHE:!aNULL:+SHA1", "PSK", "CAMELLIA:+kRSA", "HIGH:!kRSA:!PSK:!SRP:@STRENGTH",
         "aRSA+AES128:-SHA256", "CHACHA20:AESGCM:AES:!aNULL:!eNULL", "SHA384:SHA256:SHA1:MD5",
         "TLSv1.2:-SSLv3", "NULL:eNULL", "COMPLEMENTOFDEFAULT", "ECDSA:RSA"]


def _make_tree(root: Path, n: int, rng: random.Random) -> dict[str, tuple[int, str]]:
    """Write ``n`` certificate files; returns file -> (key bits, notAfter date) of the
    first certificate of each."""
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(4)]
    keys += [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
    ca = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
    truth: dict[str, tuple[int, str]] = {}
    for i in range(n):
        key = rng.choice(keys)
        start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randrange(900))
        end = start + dt.timedelta(days=rng.choice([90, 365, 398, 825]))
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"h{i}.example.vn")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name)
                .public_key(key.public_key()).serial_number(i + 1).not_valid_before(start)
                .not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"h{i}.example.vn")]),
                               critical=False)
                .sign(ca, hashes.SHA256()))
        data = cert.public_bytes(serialization.Encoding.PEM)
        if i % 5 == 0:  # some files are bundles: leaf + another certificate
            data += data
        path = root / f"d{i % 20:02d}" / f"cert{i:05d}.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        truth[str(path)] = (key.key_size if isinstance(key, rsa.RSAPrivateKey) else 256,
                            end.date().isoformat())
    return truth


def _auditor(files: list[str]) -> tuple[float, dict[str, tuple[int, str]]]:
    scanner = CryptoScanner()
    options = ScanOptions(as_of=AS_OF, hash_key=b"bench")
    seen: dict[str, tuple[int, str]] = {}
    t0 = time.perf_counter()
    for f in files:
        target = Target(uri=f, locator=f, kind="pem", scanner="crypto")
        first = next(o for o in scanner.scan(target, options) if isinstance(o, Observation))
        seen[f] = (int(first.attributes["key_bits"] or 0),  # type: ignore[arg-type]
                   str(first.attributes["not_after"])[:10])
    return time.perf_counter() - t0, seen


_BITS = re.compile(r"Public-Key: \((\d+) bit\)")
_AFTER = re.compile(r"Not After : (\w{3}\s+\d+ [\d:]+ \d{4}) GMT")


def _openssl(files: list[str]) -> tuple[float, dict[str, tuple[int, str]]]:
    seen: dict[str, tuple[int, str]] = {}
    t0 = time.perf_counter()
    for f in files:
        out = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", f],
                             capture_output=True, text=True, check=False).stdout
        bits, after = _BITS.search(out), _AFTER.search(out)
        date = dt.datetime.strptime(" ".join(after.group(1).split()), "%b %d %H:%M:%S %Y") \
            if after else None
        seen[f] = (int(bits.group(1)) if bits else 0,
                   date.date().isoformat() if date else "")
    return time.perf_counter() - t0, seen


def _ciphers(repeat: int) -> None:
    known = {line.split()[2] for line in subprocess.run(
        ["openssl", "ciphers", "-V", "ALL:COMPLEMENTOFALL"], capture_output=True, text=True,
        check=False).stdout.splitlines() if line.strip()}
    t0 = time.perf_counter()
    for _ in range(repeat):
        mine = {s: [c.openssl for c in expand_openssl(s) if c.openssl in known] for s in SPECS}
    t_mine = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = {}
    for _ in range(repeat):
        for spec in SPECS:
            out = subprocess.run(["openssl", "ciphers", "-V", spec], capture_output=True,
                                 text=True, check=False).stdout
            theirs[spec] = [ln.split()[2] for ln in out.splitlines()
                            if ln.strip() and not ln.split()[0].startswith("0x13,")]
    t_theirs = time.perf_counter() - t0
    same = sum(mine[s] == theirs[s] for s in SPECS)
    n = repeat * len(SPECS)
    print(f"cipher strings: auditor {n / t_mine:,.0f}/s, openssl ciphers {n / t_theirs:,.0f}/s"
          f" ({t_theirs / t_mine:.1f}x); identical expansions {same}/{len(SPECS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies --files")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if shutil.which("openssl") is None:
        print("openssl not installed: nothing to compare with")
        return 0
    n = max(10, int(args.files * args.scale))
    with tempfile.TemporaryDirectory(prefix="bench-crypto-") as tmp:
        truth = _make_tree(Path(tmp), n, random.Random(args.seed))
        files = sorted(truth)
        t_a, got_a = _auditor(files)
        t_o, got_o = _openssl(files)
    agree_a = sum(got_a[f] == truth[f] for f in files)
    agree_o = sum(got_o[f] == truth[f] for f in files)
    print(f"certificate files: {n}")
    print(f"  auditor crypto scanner: {n / t_a:,.0f} files/s ({t_a:.2f} s), "
          f"key size + expiry correct {agree_a}/{n}")
    print(f"  openssl x509 -text:     {n / t_o:,.0f} files/s ({t_o:.2f} s), "
          f"key size + expiry correct {agree_o}/{n}")
    print(f"  ratio: {t_o / t_a:.1f}x")
    _ciphers(repeat=3)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
