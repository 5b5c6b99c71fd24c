"""E-mail, card, IBAN and IP recognizers for the built-in engine (no Presidio).

They detect what Presidio's predefined recognizers of the same names detected when the
engine ran through Presidio (same candidates, validation, scores and context words), so
the move out of Presidio changes no result:

- ``EMAIL_ADDRESS``: ``local@domain.tld`` whose host ends in a public suffix from the
  ICANN part of the public-suffix list bundled with ``tldextract`` (read from the
  installed package, offline; a label must precede the suffix). 1.0. A ``key=`` /
  ``mailto:`` prefix or a cell separator glued to the local part is cut off.
- ``CREDIT_CARD``: 13-19 digits starting 1/3/4/5/6, grouped like a card (or not grouped),
  Luhn-valid. 1.0.
- ``IBAN_CODE``: country code, check digits, 11-30 more characters; the mod-97 checksum
  and the country's BBAN layout (``IBAN_LAYOUTS``). 1.0.
- ``IP_ADDRESS``: IPv4 (with an optional prefix length), IPv6 in its compressed forms,
  IPv4-mapped and -embedded IPv6; parsed by :mod:`ipaddress`; addresses that identify
  no one (unspecified, loopback, multicast, ``255.255.255.255``) are dropped. 0.6.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

from auditor.errors import ConfigError
from auditor.pii.lexicon import context_words
from auditor.pii.recognizers.base import BuiltinRecognizer, Candidate
from auditor.pii.recognizers.patterns import luhn_ok

__all__ = ["CardRecognizer", "EmailRecognizer", "IbanRecognizer", "IpRecognizer",
           "general_recognizers", "public_suffix_host"]

# --- e-mail -------------------------------------------------------------------------

_LOCAL_CHARS = r"!#$%&'*+\-/=?^_`{|}~\w"
_EMAIL = re.compile(
    rf"\b((?:[{_LOCAL_CHARS}]|[{_LOCAL_CHARS}][{_LOCAL_CHARS}.]*[{_LOCAL_CHARS}])"
    r"@\w+(?:-+\w+)*(?:\.\w+(?:-+\w+)*)+)\b", re.IGNORECASE)
_CELL_CUT = "=:|;,\t'\"(<[{"


class _Suffixes:
    """The ICANN public suffixes as a reversed-label trie: label -> (node, is_end)."""

    __slots__ = ("end", "matches")

    def __init__(self) -> None:
        self.matches: dict[str, _Suffixes] = {}
        self.end = False


@lru_cache(maxsize=1)
def _suffix_trie() -> _Suffixes:
    spec = importlib.util.find_spec("tldextract")
    locations = list(spec.submodule_search_locations or ()) if spec else []
    snapshot = next((Path(p) / ".tld_set_snapshot" for p in locations
                     if (Path(p) / ".tld_set_snapshot").is_file()), None)
    if snapshot is None:
        raise ConfigError("the public-suffix list bundled with tldextract was not found "
                          "(install tldextract; auditor never downloads it)")
    text = snapshot.read_text("utf-8")
    public = text.partition("// ===BEGIN PRIVATE DOMAINS===")[0]
    root = _Suffixes()
    for m in re.finditer(r"^([.*!]*\w\S*)", public, re.MULTILINE):
        node = root
        for label in reversed(m.group(1).split(".")):
            node = node.matches.setdefault(label, _Suffixes())
        node.end = True
    return root


def _decode(label: str) -> str:
    lowered = label.lower()
    if lowered.startswith("xn--") or ".xn--" in lowered:
        try:
            return lowered.encode("ascii").decode("idna")
        except (UnicodeError, ValueError):
            return lowered
    return lowered


def public_suffix_host(address: str) -> bool:
    """True when the host of ``address`` (``user@host``, a host, a URL) is a name under
    a public suffix: a label followed by an ICANN suffix (``example.vn``, ``x.co.uk``;
    not ``localhost``, ``host.internal`` or an IP address)."""
    authority = address.partition("/")[0].partition("?")[0].partition("#")[0]
    host = authority.rpartition("@")[2].partition(":")[0].strip()
    host = host.replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".")
    labels = host.rstrip(".").split(".")
    node = _suffix_trie()
    index = suffix = len(labels)
    for label in reversed(labels):
        decoded = _decode(label)
        child = node.matches.get(decoded)
        if child is not None:
            index -= 1
            node = child
            if node.end:
                suffix = index
            continue
        if "*" in node.matches:
            suffix = index if "!" + decoded in node.matches else index - 1
        break
    return suffix < len(labels) and suffix > 0 and labels[suffix - 1] != ""


class EmailRecognizer(BuiltinRecognizer):
    """E-mail addresses under a public suffix."""

    name = "EmailRecognizer"
    supported_entities = ("EMAIL_ADDRESS",)
    context = ("email",)

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        if "@" not in text:
            return []
        results: list[Candidate] = []
        for m in _EMAIL.finditer(text):
            start, end = m.span()
            value = m.group(0)
            if not public_suffix_host(value):
                continue
            local = value.split("@", 1)[0]
            # NOTE: a CSV or log cell separator glued to the address (``Dat|dat@x.vn``)
            cut = max(local.rfind(ch) for ch in _CELL_CUT)
            if 0 <= cut < len(local) - 1:
                start += cut + 1
            results.append(Candidate("EMAIL_ADDRESS", start, end, 1.0, recognizer=self.name,
                                     context=self.context_rank))
        return results


# --- cards --------------------------------------------------------------------------

_CARD = re.compile(r"\b(?!1\d{12}(?!\d))(?:4\d{3}|5[0-5]\d{2}|6\d{3}|1\d{3}|3\d{3})"
                   r"[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}\b")
_CARD_GROUPS = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 2),
                          (4, 4, 4, 3), (4, 4, 4, 4, 2), (4, 4, 4, 4, 1)})
_CARD_SPLIT = re.compile(r"[ \-]+")


def card_ok(value: str) -> bool:
    """Luhn-valid, and grouped like a card when grouped at all (``0100233488-001`` is a
    tax code with its branch suffix, whatever Luhn says)."""
    parts = tuple(len(p) for p in _CARD_SPLIT.split(value.strip()) if p)
    if len(parts) > 1 and parts not in _CARD_GROUPS:
        return False
    digits = value.replace("-", "").replace(" ", "")
    return digits.isdigit() and luhn_ok(digits)


class CardRecognizer(BuiltinRecognizer):
    """International payment cards (Luhn); NAPAS cards are in ``patterns``."""

    name = "CreditCardRecognizer"
    supported_entities = ("CREDIT_CARD",)

    def __init__(self) -> None:
        self.context = tuple(dict.fromkeys(
            [*context_words().get("CREDIT_CARD", ()), "credit", "card"]))

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        return [Candidate("CREDIT_CARD", m.start(), m.end(), 1.0, recognizer=self.name,
                          context=self.context_rank)
                for m in _CARD.finditer(text) if card_ok(m.group(0))]


# --- IBAN ---------------------------------------------------------------------------

#: BBAN layout per country after the check digits: counts of digits (n), capital
#: letters (a), letters or digits (c); ``=0`` a literal zero. The text must start with
#: this layout (a longer run is still checked by its checksum).
IBAN_LAYOUTS: dict[str, str] = {
    "AL": "8n16c", "AD": "8n12c", "AT": "16n", "AZ": "4c20n", "BH": "4a14c",
    "BY": "4c4n16c", "BE": "12n", "BA": "16n", "BR": "23n1a1c", "BG": "4a6n8c",
    "CR": "=017n", "HR": "17n", "CY": "8n16c", "CZ": "20n", "DK": "14n", "DO": "4a20n",
    "TL": "19n", "EE": "16n", "FO": "14n", "FI": "14n", "FR": "10n11c2n", "GE": "2c16n",
    "DE": "18n", "GI": "4a15c", "GR": "7n16c", "GL": "14n", "GT": "24c", "HU": "24n",
    "IS": "22n", "IE": "4c14n", "IL": "19n", "IT": "1a10n12c", "JO": "4a22n",
    "KZ": "3n13c", "XK": "16n", "KW": "4a22c", "LV": "4a13c", "LB": "4n20c",
    "LI": "5n12c", "LT": "16n", "LU": "3n13c", "MT": "4a5n18c", "MR": "23n",
    "MU": "4a19n1a", "MD": "20c", "MC": "10n11c2n", "ME": "18n", "NL": "4a10n",
    "MK": "3n10c2n", "NO": "11n", "PK": "4c16n", "PS": "4c17n", "PL": "24n", "PT": "17n",
    "QA": "4a17c", "RO": "4a16c", "SM": "1a10n12c", "SA": "2n18c", "RS": "18n",
    "SK": "20n", "SI": "15n", "ES": "20n", "SE": "20n", "CH": "5n12c", "TN": "20n",
    "TR": "5n17c", "AE": "19n", "GB": "4a14n", "VA": "18n", "VG": "4c16n", "EG": "25n",
    "IQ": "4a15n", "LY": "21n", "LC": "4a24c", "SC": "4a20n3a", "UA": "6n19c",
}
_LAYOUT_PART = re.compile(r"(\d+)([nac])|=(\d)")
_CLASS = {"n": "[0-9]", "a": "[A-Z]", "c": "[a-zA-Z0-9]"}
_IBAN = re.compile(r"(?<![A-Z0-9])([A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,6})"
                   r"((?:[ -]?[A-Z0-9]{4})?)((?:[ -]?[A-Z0-9]{1,3})?)(?![A-Z0-9])")


@lru_cache(maxsize=1)
def _iban_layouts() -> dict[str, re.Pattern[str]]:
    out: dict[str, re.Pattern[str]] = {}
    for country, layout in IBAN_LAYOUTS.items():
        parts = [(_CLASS[m.group(2)] + "{" + m.group(1) + "}") if m.group(2) else m.group(3)
                 for m in _LAYOUT_PART.finditer(layout)]
        out[country] = re.compile(country + "[0-9]{2}" + "".join(parts))
    return out


def iban_ok(value: str) -> bool:
    """Mod-97 check digits and the country's layout (``value`` may hold spaces/dashes)."""
    iban = value.replace("-", "").replace(" ", "")
    if len(iban) < 5 or not iban.isalnum() or not iban.isascii():
        return False
    moved = (iban[4:] + iban[:2] + "00").upper()
    number = int("".join(str(int(ch, 36)) for ch in moved))
    if f"{98 - number % 97:0>2}" != iban[2:4]:
        return False
    layout = _iban_layouts().get(iban[:2])
    return layout is not None and layout.match(iban) is not None


class IbanRecognizer(BuiltinRecognizer):
    """IBANs: checksum and country layout; a trailing group that breaks the checksum is
    left out (``DE89370400440532013000 2 days``)."""

    name = "IbanRecognizer"
    supported_entities = ("IBAN_CODE",)

    def __init__(self) -> None:
        self.context = tuple(dict.fromkeys([*context_words().get("IBAN_CODE", ()), "iban"]))

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        results: list[Candidate] = []
        for m in _IBAN.finditer(text):
            start = m.start()
            for group in (3, 2, 1):
                end = m.end(group) if m.end(group) > 0 else m.end()
                if end > start and iban_ok(text[start:end]):
                    results.append(Candidate("IBAN_CODE", start, end, 1.0, recognizer=self.name,
                                             context=self.context_rank))
                    break
        return results


# --- IP addresses -------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
_V4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H = "[0-9A-Fa-f]{1,4}"
_V6_PREFIX = r"(?:/(?:12[0-8]|1[01]\d|[1-9]?\d))?"
_V6_FORMS = "|".join((
    rf"(?:{_H}:){{7}}{_H}",
    rf"(?:{_H}:){{1,7}}:",
    rf":(?::{_H}){{1,7}}",
    *(rf"(?:{_H}:){{1,{k}}}(?::{_H}){{1,{7 - k}}}" for k in range(6, 0, -1)),
    rf":(?::{_H}){{1,6}}",
))
#: (pattern, base score), in the order they are tried
_IP_PATTERNS: tuple[tuple[str, float], ...] = (
    (rf"(?<![\w:])::(?:ffff(?::0{{1,4}})?:)?{_V4}{_V6_PREFIX}\b", 0.6),
    (rf"(?<![\w:])(?:(?:{_H}:){{1,5}}:(?:{_H}:){{0,4}}|(?:{_H}:){{6}}){_V4}{_V6_PREFIX}\b",
     0.6),
    (rf"\b{_V4}(?:/(?:[0-2]?\d|3[0-2]))?\b", 0.6),
    (rf"(?<![\w:])(?:{_V6_FORMS})(?:%[0-9a-zA-Z]+)?{_V6_PREFIX}(?![\w:]|\.\d)", 0.6),
    (rf"(?<![\w:])::{_V6_PREFIX}(?![\w:])", 0.1),
)


def _ip_ok(value: str) -> bool:
    try:
        address = ipaddress.ip_interface(value).ip
    except ValueError:
        return False
    return not (address.is_unspecified or address.is_loopback or address.is_multicast
                or str(address) == "255.255.255.255")


class IpRecognizer(BuiltinRecognizer):
    """IPv4 and IPv6 addresses that identify a host."""

    name = "IpRecognizer"
    supported_entities = ("IP_ADDRESS",)
    context = ("ip", "ipv4", "ipv6")

    def __init__(self) -> None:
        self._patterns = tuple((re.compile(p, re.IGNORECASE), s) for p, s in _IP_PATTERNS)

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        results: list[Candidate] = []
        for regex, score in self._patterns:
            for m in regex.finditer(text):
                if m.end() > m.start() and _ip_ok(m.group(0)):
                    results.append(Candidate("IP_ADDRESS", m.start(), m.end(), score,
                                             recognizer=self.name, context=self.context_rank))
        return results


def general_recognizers() -> list[BuiltinRecognizer]:
    """Fresh e-mail, card, IBAN and IP recognizers."""
    return [EmailRecognizer(), CardRecognizer(), IbanRecognizer(), IpRecognizer()]
