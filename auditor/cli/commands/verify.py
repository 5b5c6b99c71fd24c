"""``auditor verify DIR``: check an evidence bundle's manifest and signature.

Every file listed in ``manifest.json`` is re-hashed; files that changed, are missing or
were added are named, and the Ed25519 signature of the manifest is checked against a
trusted verify key: ``--key``, else ``AUDITOR_VERIFY_KEY``, else the matching ``*.pub`` in
the per-user directory ``$XDG_CONFIG_HOME/auditor/trusted-keys/`` (where ``auditor keygen``
registers its key). A key inside the bundle is never trusted — not ``signing-key.pub``,
not ``--key`` pointing into the bundle. Without a trusted key the bundle is checked
against its own key, which proves integrity only: the signer is unknown, and verify exits
4 unless ``--allow-untrusted`` is given. Symbolic links and special files in the bundle
are never followed or opened.

``--check-targets [ROOT]`` also re-hashes the scanned files listed in the manifest and
names those that changed or disappeared since the scan; only regular files under ROOT
are read, others are listed as not checked.

Exit codes: 0 intact and signed by a trusted key, 1 tampered or a scanned file changed or
could not be checked (each problem is listed), 2 usage error, 4 intact but signer unknown
(no trusted key; 0 with ``--allow-untrusted``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from auditor.bundle.evidence import check_targets, signer_key_id, verify_evidence
from auditor.bundle.signing import (
    ENV_VERIFY_KEY,
    Ed25519PublicKey,
    is_inside,
    load_public_key,
    resolve_key_path,
    trusted_keys,
    trusted_keys_dir,
)
from auditor.errors import ConfigError, ExitCode
from auditor.textsafe import term_safe

__all__ = ["EXIT_UNTRUSTED", "register", "run"]

#: intact, but no trusted key vouches for the signer
EXIT_UNTRUSTED = ExitCode.UNTRUSTED


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify", help="verify a signed evidence bundle", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", metavar="DIR", help="evidence directory")
    parser.add_argument("--key", metavar="PUBLIC.pem",
                        help=f"trusted public key (default: ${ENV_VERIFY_KEY}, else the "
                             "per-user trusted-keys directory); never a file in the bundle")
    parser.add_argument("--allow-untrusted", action="store_true",
                        help="exit 0 for an intact bundle even when no trusted key vouches "
                             "for its signer (integrity only)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--check-targets", metavar="ROOT", nargs="?", const=".",
                        help="also re-hash the scanned files (paths relative to ROOT, "
                             "default: the current directory) and name those that changed")
    parser.set_defaults(handler=run)


def _trusted_key(option: str | None, bundle: Path) -> Ed25519PublicKey | None:
    """The verifier's key: the option or environment (refused when it lies inside the
    bundle), else the per-user trusted key the bundle claims to be signed with."""
    path = resolve_key_path(option, ENV_VERIFY_KEY)
    if path is not None:
        if bundle.is_dir() and is_inside(path, bundle):
            raise ConfigError(f"{path}: the verify key is inside the bundle; a key that "
                              "travels with the evidence proves nothing about who signed it")
        return load_public_key(path)
    claimed = signer_key_id(bundle) if bundle.is_dir() else None
    if claimed is None:
        return None
    return trusted_keys(trusted_keys_dir(), exclude=bundle).get(claimed)


def run(args: argparse.Namespace) -> int:
    bundle = Path(args.bundle)
    try:
        key = _trusted_key(args.key, bundle)
        report = verify_evidence(bundle, key)
    except ConfigError as exc:
        print(f"auditor verify: {term_safe(exc)}", file=sys.stderr)
        return ExitCode.USAGE
    changed = check_targets(report.manifest, args.check_targets) \
        if args.check_targets is not None and report.ok and report.manifest else ()
    if args.format == "json":
        json.dump({
            "ok": report.ok, "verified": report.verified,
            "signer": "trusted" if report.trusted_key else "unknown",
            "files_checked": report.files_checked,
            "key_id": report.key_id, "trusted_key": report.trusted_key,
            "problems": [{"file": p.file, "message": p.message} for p in report.problems],
            "targets_changed": [{"target": p.file, "message": p.message, "checked": p.checked}
                                for p in changed],
        }, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in report.problems:
            print(f"TAMPERED {term_safe(problem)}")
        if report.verified:
            print(f"OK: {report.files_checked} files match the manifest; signature valid "
                  f"(key {report.key_id})")
        elif report.ok:
            print(f"integrity only, signer unknown: {report.files_checked} files match the "
                  f"manifest signed by key {report.key_id}, but no trusted key vouches for "
                  f"it (--key, ${ENV_VERIFY_KEY} or {trusted_keys_dir()})")
        for problem in changed:
            state = "CHANGED" if problem.checked else "NOT CHECKED"
            print(f"{state} target {term_safe(problem)}")
    if not report.ok or changed:
        return ExitCode.FINDINGS
    return ExitCode.OK if report.verified or args.allow_untrusted else EXIT_UNTRUSTED
