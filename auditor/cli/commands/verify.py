"""``auditor verify DIR``: check an evidence bundle's manifest and signature.

Every file listed in ``manifest.json`` is re-hashed; files that changed, are missing or
were added are named, and the Ed25519 signature of the manifest is checked against the
verify key (``--key``, else ``AUDITOR_VERIFY_KEY``, else ``auditor-signing.pub`` in the
current directory, as written by ``auditor keygen``). Without a verify key the key inside the
bundle is used: that proves the bundle is intact, not who signed it, so its key id is
printed to compare with the signer's.

``--check-targets [ROOT]`` also re-hashes the scanned files listed in the manifest and
names those that changed or disappeared since the scan.

Exit codes: 0 intact, 1 tampered or a scanned file changed (each problem is listed),
2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from auditor.bundle.evidence import check_targets, verify_evidence
from auditor.bundle.signing import (
    DEFAULT_PUBLIC_KEY,
    ENV_VERIFY_KEY,
    load_public_key,
    resolve_key_path,
)
from auditor.errors import ConfigError, ExitCode
from auditor.textsafe import term_safe

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify", help="verify a signed evidence bundle", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", metavar="DIR", help="evidence directory")
    parser.add_argument("--key", metavar="PUBLIC.pem",
                        help=f"trusted public key (default: ${ENV_VERIFY_KEY}, else "
                             f"{DEFAULT_PUBLIC_KEY} if present)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--check-targets", metavar="ROOT", nargs="?", const=".",
                        help="also re-hash the scanned files (paths relative to ROOT, "
                             "default: the current directory) and name those that changed")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        path = resolve_key_path(args.key, ENV_VERIFY_KEY, default=DEFAULT_PUBLIC_KEY)
        key = load_public_key(path) if path is not None else None
        report = verify_evidence(args.bundle, key)
    except ConfigError as exc:
        print(f"auditor verify: {term_safe(exc)}", file=sys.stderr)
        return ExitCode.USAGE
    changed = check_targets(report.manifest, args.check_targets) \
        if args.check_targets is not None and report.ok and report.manifest else ()
    if args.format == "json":
        json.dump({
            "ok": report.ok, "files_checked": report.files_checked,
            "key_id": report.key_id, "trusted_key": report.trusted_key,
            "problems": [{"file": p.file, "message": p.message} for p in report.problems],
            "targets_changed": [{"target": p.file, "message": p.message} for p in changed],
        }, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in report.problems:
            print(f"TAMPERED {term_safe(problem)}")
        if report.ok:
            print(f"OK: {report.files_checked} files match the manifest; signature valid "
                  f"(key {report.key_id})")
        for problem in changed:
            print(f"CHANGED target {term_safe(problem)}")
        if not report.trusted_key:
            print(f"warning: no verify key given (--key or ${ENV_VERIFY_KEY}); checked "
                  f"against the key inside the bundle ({report.key_id}). Compare it with "
                  "the signer's key id.", file=sys.stderr)
    return ExitCode.OK if report.ok and not changed else ExitCode.FINDINGS
