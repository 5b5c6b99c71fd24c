"""``auditor serve [--store URL] [--host 127.0.0.1] [--port 8080]``: the read-only web
dashboard over the results store (Vietnamese by default, ``?lang=en`` for English).

It binds to loopback unless told otherwise. A non-loopback ``--host`` is refused (exit 2)
unless authentication is configured: a token (``--token-env NAME``, default
``AUDITOR_DASHBOARD_TOKEN``, or ``--token-file FILE``) or users with scrypt password hashes
(``--users FILE``, lines ``name:scrypt$...``; ``auditor serve --hash-password`` makes one).
See docs/dashboard.md.
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from auditor.cli.commands.history import add_store_options, open_store
from auditor.errors import ConfigError

__all__ = ["load_auth", "register"]

ENV_TOKEN = "AUDITOR_DASHBOARD_TOKEN"  # noqa: S105 (a variable name, not a secret)


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="web dashboard over the results store (read-only)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_store_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--token-env", metavar="NAME", default=ENV_TOKEN,
                   help=f"environment variable holding the access token (default {ENV_TOKEN})")
    p.add_argument("--token-file", metavar="FILE", help="file holding the access token")
    p.add_argument("--users", metavar="FILE",
                   help="users with scrypt password hashes, one 'name:scrypt$...' a line")
    p.add_argument("--hash-password", action="store_true",
                   help="read a password on stdin, print its hash for --users, and exit")
    p.set_defaults(handler=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_auth(args: argparse.Namespace) -> Any:
    from auditor.dashboard.app import Auth
    token = os.environ.get(args.token_env) or None
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError(f"--token-file {args.token_file}: {exc.strerror}") from None
        if token is None:
            raise ConfigError(f"--token-file {args.token_file}: the file is empty")
    if token is not None and len(token) < 16:
        raise ConfigError("the dashboard token must be at least 16 characters")
    users: dict[str, str] = {}
    if args.users:
        try:
            lines = Path(args.users).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"--users {args.users}: {exc.strerror}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, sep, stored = line.strip().partition(":")
            if not sep or not name or not stored.startswith("scrypt$") or \
                    stored.count("$") != 5:
                raise ConfigError(f"{args.users}:{number}: expected 'name:scrypt$N$r$p$SALT$"
                                  f"HASH' (make one with auditor serve --hash-password)")
            users[name] = stored
    return Auth(token=token, users=users)


def run(args: argparse.Namespace) -> int:
    if args.hash_password:
        from auditor.dashboard.app import hash_password
        password = getpass.getpass("password: ") if sys.stdin.isatty() else \
            sys.stdin.readline().rstrip("\n")
        if len(password) < 12:
            raise ConfigError("choose a password of at least 12 characters")
        print(hash_password(password, secrets.token_bytes(16)))
        return 0
    auth = load_auth(args)
    if not _is_loopback(args.host) and not auth.configured:
        raise ConfigError(
            f"refusing to serve the dashboard on non-loopback address {args.host} without "
            f"authentication: set ${args.token_env} (or --token-file) or --users")
    import uvicorn

    from auditor.dashboard.app import create_app
    store = open_store(args)
    try:
        sys.stderr.write(f"auditor: dashboard on http://{args.host}:{args.port}/ "
                         f"(store {store.display})\n")
        uvicorn.run(create_app(store, auth), host=args.host, port=args.port,
                    log_level="warning", server_header=False, date_header=True)
    finally:
        store.close()
    return 0
