"""Network-address facts shared by plugins: loopback tests and pg_hba address scopes.

Facts, never verdicts: the rule packs decide what an address that accepts everyone means.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["hba_address_facts", "is_loopback"]

def is_loopback(address: str) -> bool | None:
    """True for loopback addresses/names, False for others, None when unknown."""
    host = address.strip().strip("[]").lstrip("-")
    if host in {"localhost", "ip6-localhost"} or host.startswith(("unix:", "/")):
        return True  # NOTE: a Unix socket is reachable from this machine only
    if host in {"", "*", "0.0.0.0", "::", "all"}:
        return False
    host = host.split("/")[0].split("%")[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return None if not re.fullmatch(r"[\w.-]+", host) else False


def hba_address_facts(address: str | None) -> tuple[bool, bool]:
    """(address_any, address_loopback) of a pg_hba address (CIDR, name, keyword, or None
    for a local socket); shared with the live ``pg_hba_file_rules`` of the database
    scanner so both sources are judged by the same rules."""
    if address is None:
        return False, True  # local socket
    if address in {"all", "0.0.0.0/0", "::/0", "0.0.0.0/0.0.0.0"}:
        return True, False
    if address in {"samehost"}:
        return False, True
    try:
        net = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return False, bool(is_loopback(address))
    return net.prefixlen == 0, net.is_loopback
