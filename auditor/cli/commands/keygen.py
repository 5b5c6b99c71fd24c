"""``auditor keygen``: create an Ed25519 key pair for signing evidence bundles.

The private key is written with mode 0600 (PKCS#8 PEM, encrypted with
``AUDITOR_SIGNING_KEY_PASSWORD`` when set); existing files are never replaced without
``--force``. Paths: ``--private-key`` / ``--public-key``, else ``AUDITOR_SIGNING_KEY`` /
``AUDITOR_VERIFY_KEY``, else ``auditor-signing.key`` / ``auditor-signing.pub``.
The public key is also registered as trusted on this machine (copied into
``$XDG_CONFIG_HOME/auditor/trusted-keys/``), so ``auditor verify`` here recognises the
signer without ``--key``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from auditor.bundle.signing import (
    DEFAULT_PRIVATE_KEY,
    DEFAULT_PUBLIC_KEY,
    ENV_SIGNING_KEY,
    ENV_VERIFY_KEY,
    generate_key,
    key_id,
    register_trusted_key,
    resolve_key_path,
    write_keypair,
)
from auditor.errors import ConfigError, ExitCode

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "keygen", help="create an Ed25519 key pair for signing evidence bundles",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--private-key", metavar="PATH",
                        help=f"private key file (default: ${ENV_SIGNING_KEY} or "
                             f"{DEFAULT_PRIVATE_KEY})")
    parser.add_argument("--public-key", metavar="PATH",
                        help=f"public key file (default: ${ENV_VERIFY_KEY} or "
                             f"{DEFAULT_PUBLIC_KEY})")
    parser.add_argument("--force", action="store_true", help="replace existing key files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    private = resolve_key_path(args.private_key, ENV_SIGNING_KEY) or Path(DEFAULT_PRIVATE_KEY)
    public = resolve_key_path(args.public_key, ENV_VERIFY_KEY) or Path(DEFAULT_PUBLIC_KEY)
    if private.resolve() == public.resolve():
        print("auditor keygen: private and public key paths are the same file",
              file=sys.stderr)
        return ExitCode.USAGE
    key = generate_key()
    try:
        write_keypair(key, private, public, force=args.force)
        registered = register_trusted_key(key.public_key())
    except ConfigError as exc:
        print(f"auditor keygen: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"key id:      {key_id(key.public_key())}")
    print(f"private key: {private} (mode 0600; keep it secret)")
    print(f"public key:  {public} (give it to whoever verifies the evidence)")
    print(f"trusted on this machine: {registered}")
    return ExitCode.OK
