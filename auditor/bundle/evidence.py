"""Signed evidence bundles (``auditor scan ... --evidence DIR``, ``auditor verify DIR``).

A bundle is a directory holding the reports, ``signing-key.pub``, a bilingual
``README.txt`` (how to verify), ``manifest.json`` and ``manifest.sig``. The manifest
records the run (tool version, run id, ``--as-of``, start and end times, host), the rule
packs and frameworks with their SHA-256, every target (SHA-256 of each scanned file and
capture, database schema fingerprints), the input files (suppressions, baseline) and the
SHA-256 and size of every file in the bundle. ``manifest.sig`` is a small JSON record:
the base64 Ed25519 signature of the exact bytes of ``manifest.json``, with the manifest's
SHA-256 and the key id it covers.

``verify_evidence`` re-hashes every file and checks the signature, naming each file that
changed, is missing, or was added. Without a trusted public key it checks against the
key inside the bundle, which proves integrity but not who signed: the verify command
says so and prints the key id to compare.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import socket
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.bundle.signing import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    is_inside,
    key_id,
    public_pem,
    verify_signature,
)
from auditor.errors import ConfigError
from auditor.fileio import atomic_write, sha256_file
from auditor.models import JSONValue
from auditor.nesting import NestingError, json_nesting
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ScanResult

__all__ = [
    "MANIFEST",
    "MANIFEST_KIND",
    "PUBLIC_KEY",
    "README",
    "SIGNATURE",
    "EvidenceProblem",
    "VerifyReport",
    "build_manifest",
    "check_evidence_dir",
    "check_targets",
    "signer_key_id",
    "verify_evidence",
    "write_evidence",
]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "signing-key.pub"
README = "README.txt"
_README = """\
auditor evidence bundle / Bộ bằng chứng kiểm toán của auditor

run {run_id}, as of {as_of}, signed with key {key_id}
lần quét {run_id}, đánh giá tại ngày {as_of}, ký bằng khóa {key_id}

To check that nothing in this folder changed since it was signed:
Để kiểm tra không có gì trong thư mục này bị thay đổi kể từ khi ký:

    auditor verify THIS_FOLDER --key SIGNER_PUBLIC_KEY.pem

Every file is listed with its SHA-256 in manifest.json; manifest.sig holds the Ed25519
signature of manifest.json. Compare the key id above with the one the signer gave you.
Mọi tệp được liệt kê kèm SHA-256 trong manifest.json; manifest.sig chứa chữ ký Ed25519 của
manifest.json. Hãy so sánh mã khóa ở trên với mã khóa do người ký cung cấp.
"""
MANIFEST_KIND = "auditor-evidence-manifest"
_CHUNK = 1 << 20


def _sha256_file(path: Path) -> tuple[str, int]:
    return sha256_file(path)


def _atomic_write(path: Path, write: Any, *, text: bool) -> None:
    atomic_write(path, write, newline="" if text else None)


def build_manifest(result: ScanResult, files: Iterable[tuple[str, str, int]],
                   public_key: Ed25519PublicKey, host: str,
                   inputs: Mapping[str, str | Path] | None = None) -> dict[str, JSONValue]:
    """The manifest document for ``result`` and bundle ``files`` (name, sha256, size).
    ``inputs`` names other files the run depended on (role -> path: the suppression file,
    the baseline), recorded with their SHA-256."""
    recorded: list[JSONValue] = []
    for role, path in sorted((inputs or {}).items()):
        digest, size = _sha256_file(Path(path))
        recorded.append({"role": role, "path": str(path), "sha256": digest, "size": size})
    return {
        "schema_version": 1,
        "kind": MANIFEST_KIND,
        "tool": {"name": "auditor", "version": result.tool_version},
        "run": {
            "id": result.run_id, "started_at": result.started_at,
            "finished_at": result.finished_at, "as_of": result.as_of.isoformat(),
            "host": host, "lang": result.lang,
        },
        "packs": [{"id": p.id, "version": p.version, "sha256": p.sha256}
                  for p in result.packs],
        "frameworks": [{"id": f.id, "version": f.version, "sha256": f.sha256,
                        "effective_from": f.effective_from, "effective_to": f.effective_to}
                       for f in result.frameworks],
        "targets": [{"uri": t.uri, "kind": t.kind, "scanner": t.scanner, "status": t.status,
                     "sha256": t.sha256, "schema_fingerprint": t.fingerprint}
                    for t in result.targets],
        "inputs": recorded,
        "summary": result.summary(),
        "signing_key": {"algorithm": "Ed25519", "key_id": key_id(public_key)},
        "files": [{"path": name, "sha256": digest, "size": size}
                  for name, digest, size in sorted(files)],
    }


def check_evidence_dir(out_dir: str | Path) -> None:
    """Fail early (before a long scan) when ``out_dir`` cannot take a new bundle."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out}: evidence directory is not empty (or not a directory)")


def write_evidence(result: ScanResult, out_dir: str | Path, reporters: Iterable[Reporter],
                   key: Ed25519PrivateKey, *, host: str | None = None,
                   inputs: Mapping[str, str | Path] | None = None,
                   render: RenderOptions = DEFAULT_RENDER) -> Path:
    """Write the reports, public key, manifest and signature into ``out_dir``.

    ``out_dir`` is created if needed and must be empty (an evidence bundle holds nothing
    it does not vouch for). Every file is written atomically. Returns the manifest path.
    """
    out = Path(out_dir)
    try:
        check_evidence_dir(out)
        out.mkdir(parents=True, exist_ok=True)
        names = [PUBLIC_KEY, README]
        pub = key.public_key()
        _atomic_write(out / PUBLIC_KEY, lambda fh: fh.write(public_pem(pub)), text=False)
        readme = _README.format(run_id=result.run_id, as_of=result.as_of.isoformat(),
                                key_id=key_id(pub))
        _atomic_write(out / README, lambda fh: fh.write(readme), text=True)
        for reporter in reporters:
            if reporter.filename in (MANIFEST, SIGNATURE) or reporter.filename in names:
                raise ConfigError(f"report file name {reporter.filename!r} of format "
                                  f"{reporter.name!r} clashes with another bundle file")
            if reporter.binary:
                blob = reporter.render_bytes(result, render)
                _atomic_write(out / reporter.filename, lambda fh, b=blob: fh.write(b),
                              text=False)
            else:
                _atomic_write(out / reporter.filename,
                              lambda fh, r=reporter: r.render(result, fh, render), text=True)
            names.append(reporter.filename)
        files = [(name, *_sha256_file(out / name)) for name in names]
        manifest = build_manifest(result, files, pub, host or socket.gethostname(), inputs)
        data = (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n") \
            .encode("utf-8")
        _atomic_write(out / MANIFEST, lambda fh: fh.write(data), text=False)
        signature = _signature_record(key, data)
        _atomic_write(out / SIGNATURE, lambda fh: fh.write(signature), text=False)
    except OSError as exc:
        raise ConfigError(f"{exc.filename or out}: cannot write evidence: {exc.strerror}") \
            from None
    return out / MANIFEST


def _signature_record(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """``manifest.sig``: the signature plus the manifest hash and key id it covers, so a
    failed check can say whether the manifest or the signature file was changed."""
    record = {
        "algorithm": "Ed25519",
        "key_id": key_id(key.public_key()),
        "manifest_sha256": hashlib.sha256(data).hexdigest(),
        "signature": base64.b64encode(key.sign(data)).decode("ascii"),
    }
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _check_signature(root: Path, key: Ed25519PublicKey, data: bytes,
                     problems: list[EvidenceProblem]) -> None:
    why = _member_problem(root, SIGNATURE)
    if why is not None and not why.startswith("missing"):
        problems.append(EvidenceProblem(SIGNATURE, why))
        return
    try:
        raw = (root / SIGNATURE).read_bytes()
        record = json.loads(raw.decode("utf-8"))
        signature = base64.b64decode(str(record["signature"]), validate=True)
    except FileNotFoundError:
        problems.append(EvidenceProblem(SIGNATURE, "missing"))
        return
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, binascii.Error,
            ValueError, RecursionError):
        problems.append(EvidenceProblem(SIGNATURE, "not a valid signature record"))
        return
    actual = hashlib.sha256(data).hexdigest()
    if verify_signature(key, signature, data):
        if record.get("manifest_sha256") != actual or record.get("key_id") != key_id(key):
            problems.append(EvidenceProblem(SIGNATURE, "signature record was altered "
                                                       "(hash or key id changed)"))
        elif record.get("algorithm") != "Ed25519" or raw != (
                json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"):
            # NOTE: found by the fuzzing suite: an edited field the signature does not
            # cover ("algorithm", an added key, reformatting) verified as intact
            problems.append(EvidenceProblem(SIGNATURE, "signature record was altered "
                                                       "(not as written when signing)"))
        return
    if record.get("manifest_sha256") != actual:
        # NOTE: a change to the sig file's hash field alone leaves the signature valid
        # (handled above), so a mismatch here means the manifest itself changed.
        problems.append(EvidenceProblem(MANIFEST, "changed after signing (signature does "
                                                  "not match)"))
    else:
        problems.append(EvidenceProblem(SIGNATURE, "signature is not valid for this "
                                                   f"manifest and key {key_id(key)}"))


@dataclass(frozen=True, slots=True)
class EvidenceProblem:
    """One thing wrong with a bundle: which file, and what."""

    file: str
    message: str
    checked: bool = True  # False: the file could not or must not be read

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of :func:`verify_evidence`."""

    problems: tuple[EvidenceProblem, ...]
    files_checked: int
    key_id: str | None
    trusted_key: bool  # False: checked only against the key inside the bundle
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """Intact: every file matches and the signature is valid (for some key)."""
        return not self.problems

    @property
    def verified(self) -> bool:
        """Intact and signed by a key the verifier trusts."""
        return self.ok and self.trusted_key


def _too_deep(data: bytes) -> str:
    try:
        json_nesting(data.decode("utf-8", errors="replace"))
    except NestingError as exc:
        return f"not valid JSON ({exc})"
    return "not valid JSON (nested too deeply)"


def _load_manifest(root: Path, problems: list[EvidenceProblem]) -> tuple[bytes, Any]:
    why = _member_problem(root, MANIFEST)
    if why is not None:
        problems.append(EvidenceProblem(MANIFEST, "missing" if why.startswith("missing")
                                        else why))
        return b"", None
    data = (root / MANIFEST).read_bytes()
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(EvidenceProblem(MANIFEST, f"not valid JSON ({exc})"))
        return data, None
    except RecursionError:
        problems.append(EvidenceProblem(MANIFEST, _too_deep(data)))
        return data, None
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND \
            or not isinstance(manifest.get("files"), list):
        problems.append(EvidenceProblem(MANIFEST, "not an auditor evidence manifest"))
        return data, None
    return data, manifest


def _member_problem(root: Path, name: str) -> str | None:
    """Why bundle member ``name`` cannot be read, or None. A symbolic link is never
    followed (it could point anywhere outside the bundle) and a FIFO or device is never
    opened (it could block forever)."""
    try:
        mode = os.lstat(root / name).st_mode
    except FileNotFoundError:
        return "missing from the bundle"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return "is a symbolic link (not followed)"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def _check_files(root: Path, manifest: dict[str, Any],
                 problems: list[EvidenceProblem]) -> int:
    listed: set[str] = set()
    for entry in manifest["files"]:
        name = str(entry.get("path", "")) if isinstance(entry, dict) else ""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            problems.append(EvidenceProblem(MANIFEST, f"invalid file entry {entry!r}"))
            continue
        listed.add(name)
        path = root / name
        why = _member_problem(root, name)
        if why is not None:
            problems.append(EvidenceProblem(name, why))
            continue
        digest, size = _sha256_file(path)
        if digest != entry.get("sha256"):
            problems.append(EvidenceProblem(
                name, f"content changed (SHA-256 {digest[:16]}…, manifest says "
                      f"{str(entry.get('sha256'))[:16]}…; size {size}, manifest says "
                      f"{entry.get('size')})"))
    for path in sorted(root.iterdir()):
        if path.name not in listed and path.name not in (MANIFEST, SIGNATURE):
            problems.append(EvidenceProblem(path.name, "not listed in the manifest "
                                                       "(added after signing)"))
    return len(listed)


def _bundle_key(root: Path, problems: list[EvidenceProblem]) -> Ed25519PublicKey | None:
    from auditor.bundle.signing import load_public_key

    why = _member_problem(root, PUBLIC_KEY)
    if why is not None:
        if not why.startswith("missing"):
            problems.append(EvidenceProblem(PUBLIC_KEY, why))
        return None
    try:
        return load_public_key(root / PUBLIC_KEY)
    except ConfigError as exc:
        problems.append(EvidenceProblem(PUBLIC_KEY, str(exc).split(": ", 1)[-1]))
        return None


def check_targets(manifest: Mapping[str, Any], root: str | Path) -> tuple[EvidenceProblem, ...]:
    """Re-hash the scanned files a manifest lists (relative paths from ``root``): which
    changed or disappeared since the scan. Database targets (URLs) are not checked.

    Only regular files under ``root`` (symbolic links resolved) are read: a path that
    leaves ``root`` — absolute elsewhere, ``..``, a link out — or a FIFO/device is reported
    as not checked, because the manifest is data and must not make ``verify`` read (and
    confirm the hash of) arbitrary files.
    """
    problems = []
    base = Path(root)
    for target in manifest.get("targets") or ():
        if not isinstance(target, Mapping):
            continue
        uri, digest = str(target.get("uri", "")), target.get("sha256")
        if not digest or "://" in uri:
            continue
        path = Path(uri) if Path(uri).is_absolute() else base / uri
        try:
            inside = is_inside(path, base)
        except (OSError, RuntimeError, ValueError):  # NOTE: link loops, NUL bytes
            inside = False
        if not inside:
            problems.append(EvidenceProblem(uri, f"outside ROOT {root}, not checked",
                                            checked=False))
            continue
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            problems.append(EvidenceProblem(uri, "scanned file no longer exists"))
            continue
        except OSError as exc:
            problems.append(EvidenceProblem(uri, f"cannot be read ({exc.strerror}), "
                                                 "not checked", checked=False))
            continue
        if not stat.S_ISREG(mode):
            problems.append(EvidenceProblem(uri, "not a regular file, not checked",
                                            checked=False))
        elif _sha256_file(path)[0] != digest:
            problems.append(EvidenceProblem(uri, "scanned file changed since the scan"))
    return tuple(problems)


def signer_key_id(bundle: str | Path) -> str | None:
    """The key id the bundle's ``manifest.sig`` claims, used only to pick which trusted
    key to verify with (the claim itself proves nothing)."""
    root = Path(bundle)
    if _member_problem(root, SIGNATURE) is not None:
        return None
    try:
        record = json.loads((root / SIGNATURE).read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    value = record.get("key_id") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


def verify_evidence(bundle: str | Path, public_key: Ed25519PublicKey | None = None,
                    ) -> VerifyReport:
    """Check every file hash and the manifest signature of a bundle.

    With ``public_key`` (the trusted verify key) the signature must be by that key and
    the bundle's ``signing-key.pub`` must be the same key. Without it, the bundle's own
    key is used (``trusted_key`` is False).
    """
    root = Path(bundle)
    if not root.is_dir():
        raise ConfigError(f"{bundle}: not a directory")
    problems: list[EvidenceProblem] = []
    data, manifest = _load_manifest(root, problems)
    checked = _check_files(root, manifest, problems) if manifest is not None else 0
    bundle_key = _bundle_key(root, problems) if os.path.lexists(root / PUBLIC_KEY) else None
    key = public_key or bundle_key
    if public_key is not None and bundle_key is not None \
            and key_id(bundle_key) != key_id(public_key):
        problems.append(EvidenceProblem(PUBLIC_KEY, f"is {key_id(bundle_key)}, not the "
                                                    f"verify key {key_id(public_key)}"))
    if key is None:
        problems.append(EvidenceProblem(PUBLIC_KEY, "missing, and no verify key given"))
    if key is not None and data:
        _check_signature(root, key, data, problems)
    return VerifyReport(tuple(problems), checked, key_id(key) if key else None,
                        public_key is not None, manifest)
