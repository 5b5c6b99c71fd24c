"""``auditor ciphers SPEC``: what an OpenSSL cipher string enables, graded against the TLS
profiles (the same expansion and data the scanners use)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.table import Table

from auditor.cli.terminal import console as terminal_console
from auditor.errors import ExitCode
from auditor.knowledge.suites import suite_by_name
from auditor.knowledge.tlspolicy import PROTOCOLS, canonical_protocol, tls_config_facts
from auditor.models import JSONValue

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("ciphers", help="expand an OpenSSL cipher string and grade it against "
                                       "the TLS profiles")
    p.add_argument("spec", help="OpenSSL cipher string, e.g. 'HIGH:!aNULL:!MD5'")
    p.add_argument("--protocols", default="TLSv1.2,TLSv1.3",
                   help="enabled protocol versions (comma-separated; default TLSv1.2,TLSv1.3)")
    p.add_argument("--json", action="store_true", help="print the tls.config facts as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    protocols = []
    for word in str(args.protocols).split(","):
        name = canonical_protocol(word)
        if name is None:
            sys.stderr.write(f"auditor: error: unknown protocol {word!r} "
                             f"(expected one of: {', '.join(PROTOCOLS)})\n")
            return ExitCode.USAGE
        protocols.append(name)
    facts = tls_config_facts(protocols, args.spec)
    if args.json:
        sys.stdout.write(json.dumps(facts, indent=2, sort_keys=True) + "\n")
        return ExitCode.OK
    suites = _strs(facts["suites"])
    table = Table(title=f"{args.spec}  ({len(suites)} suites, TLS <= 1.2)")
    for col in ("#", "OpenSSL", "IANA", "code", "flags"):
        table.add_column(col)
    for i, name in enumerate(suites, 1):
        suite = suite_by_name(name)
        if suite is not None:
            table.add_row(str(i), name, suite.iana, f"0x{suite.code:04X}",
                          " ".join(sorted(suite.flags)))
    console = terminal_console(sys.stdout, no_color=getattr(args, "no_color", False))
    console.print(table)
    for label, key in (("weak suites", "weak_suites"),
                       ("deprecated protocols", "deprecated_protocols"),
                       ("outside profiles", "outside_profile"),
                       ("ignored by OpenSSL", "unknown_cipher_tokens")):
        console.print(f"{label}: {', '.join(_strs(facts[key])) or 'none'}")
    return ExitCode.OK


def _strs(value: JSONValue) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
