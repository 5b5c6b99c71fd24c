"""Turning what the protocol analysers saw into masked, de-duplicated observations.

Analysers never build observations themselves: they report raw facts to a
:class:`FlowContext` (one per connection), and the :class:`Recorder` masks them, drops
repeats and builds the :class:`~auditor.models.Observation` records. This is the one place
where values from the wire are masked (``mask`` / ``mask_secret``) or keyed-hashed, so a
raw password or personal datum can never reach an attribute, evidence or message.

Repeats are folded per server endpoint: the same credential, cookie name, handshake or
certificate seen on many connections to one server is reported once, at its first
occurrence. ``net.cleartext_service`` and ``net.pii`` are aggregated per server endpoint
and protocol and emitted by :meth:`Recorder.finish`, in order of their first packet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from auditor.masking import keyed_hash, mask, mask_entity, mask_secret
from auditor.models import JSONValue, Location, Observation, Problem

__all__ = ["FlowContext", "PiiFinder", "Recorder"]

#: ``(entity type, raw value)`` pairs found in a text
PiiFinder = Callable[[str], list[tuple[str, str]]]

MAX_SEEN = 200_000  # NOTE: bounds the de-duplication sets on hostile captures
MAX_SUBJECTS = 100_000
MAX_PII_TEXT = 1 << 20  # per flow and direction, characters handed to the PII engine
MAX_EXAMPLES = 3
MAX_AGGREGATES = 100_000  # servers x protocols folded into end-of-capture observations


@dataclass(slots=True)
class FlowContext:
    """Per-connection state shared by the dispatcher and the analysers (mutable)."""

    recorder: Recorder
    flow: str  # "CLIENT:PORT->SERVER:PORT"
    server: str  # "SERVER:PORT"
    first_packet: int
    protocol: str | None = None
    via: str | None = None  # protocol the stream was upgraded from (STARTTLS...)
    tls_upgraded: bool = False
    start_tls: bool = False  # set by an analyser: the next bytes are a TLS handshake
    client_bytes: int = 0
    server_bytes: int = 0
    pii_chars: list[int] = field(default_factory=lambda: [0, 0])

    def credential(self, packet: int, protocol: str, mechanism: str, user: str | None,
                   secret: str | None, *, exposed: bool) -> None:
        self.recorder.credential(self, packet, protocol, mechanism, user=user, secret=secret,
                                 exposed=exposed)

    def token(self, packet: int, protocol: str, name: str, value: str, where: str) -> None:
        self.recorder.token(self, packet, protocol, name, value=value, where=where)

    def text(self, packet: int, from_client: bool, where: str, text: str) -> None:
        self.recorder.text(self, packet, from_client, where, text)

    def handshake(self, packet: int, attributes: dict[str, JSONValue]) -> None:
        self.recorder.handshake(self, packet, attributes)

    def certificate(self, packet: int, der: bytes, position: int) -> None:
        self.recorder.certificate(self, packet, der, position)

    def banner(self, packet: int, role: str, attributes: dict[str, JSONValue]) -> None:
        self.recorder.banner(self, packet, role, attributes)

    def problem(self, packet: int, message: str) -> None:
        self.recorder.problem(self, packet, message)


@dataclass(slots=True)
class _Aggregate:
    flow: str
    packet: int
    flows: int = 0
    entities: dict[str, list[str]] = field(default_factory=dict)
    places: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    count: int = 0


class Recorder:
    """Collects the observations of one capture. ``drain()`` hands over the ready ones."""

    def __init__(self, uri: str, hash_key: bytes, as_of: dt.date,
                 pii: PiiFinder | None = None) -> None:
        self.uri = uri
        self.as_of = as_of
        self._key = hash_key
        self._pii = pii
        self._out: list[Observation | Problem] = []
        self._seen: set[tuple[str, ...]] = set()
        self._services: dict[tuple[str, str], _Aggregate] = {}
        self._personal: dict[tuple[str, str], _Aggregate] = {}
        self._dropped = 0  # aggregates not kept because of MAX_AGGREGATES

    # ---- plumbing ---------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """Whether observations are ready for :meth:`drain`."""
        return bool(self._out)

    def drain(self) -> list[Observation | Problem]:
        out, self._out = self._out, []
        return out

    def _hash(self, value: str) -> str:
        return keyed_hash(value, self._key)

    def _first(self, key: tuple[str, ...]) -> bool:
        if key in self._seen:
            return False
        if len(self._seen) < MAX_SEEN:
            self._seen.add(key)
        return True

    def _emit(self, kind: str, ctx: FlowContext, packet: int, *,
              attributes: dict[str, JSONValue], evidence: dict[str, JSONValue],
              identity: str) -> None:
        self._out.append(Observation(
            kind=kind, location=Location(self.uri, flow=ctx.flow, packet=packet),
            attributes=attributes, evidence=evidence, identity=identity))

    # ---- facts from analysers ---------------------------------------------------------
    def credential(self, ctx: FlowContext, packet: int, protocol: str, mechanism: str, *,
                   user: str | None, secret: str | None, exposed: bool) -> None:
        identity = self._hash(f"{protocol}\0{user or ''}\0{secret or ''}")
        if not self._first(("auth", ctx.server, identity)):
            return
        attributes: dict[str, JSONValue] = {
            "protocol": protocol, "mechanism": mechanism, "server": ctx.server,
            "user_present": bool(user), "secret_exposed": exposed and bool(secret),
        }
        if ctx.via:
            attributes["via"] = ctx.via
        evidence: dict[str, JSONValue] = {"protocol": protocol, "mechanism": mechanism}
        if user:
            evidence["user"] = mask(user)
        if secret and exposed:
            evidence["password"] = mask_secret(secret)
        self._emit("net.cleartext_auth", ctx, packet, attributes=attributes, evidence=evidence,
                   identity=identity)

    def token(self, ctx: FlowContext, packet: int, protocol: str, name: str, *, value: str,
              where: str) -> None:
        # NOTE: one observation per server and token name: session ids change every
        # connection, and the fingerprint must not.
        if not self._first(("token", ctx.server, where, name)):
            return
        safe_name = name if len(name) <= 64 else name[:64]
        attributes: dict[str, JSONValue] = {
            "protocol": protocol, "name": safe_name, "where": where, "server": ctx.server,
            "value_length": len(value),
        }
        evidence: dict[str, JSONValue] = {"name": safe_name, "value": mask_secret(value)}
        self._emit("net.session_token", ctx, packet, attributes=attributes, evidence=evidence,
                   identity=self._hash(f"{where}\0{name}"))

    def text(self, ctx: FlowContext, packet: int, from_client: bool, where: str,
             text: str) -> None:
        if self._pii is None or not text:
            return
        side = 0 if from_client else 1
        room = MAX_PII_TEXT - ctx.pii_chars[side]
        if room <= 0:
            return
        text = text[:room]
        ctx.pii_chars[side] += len(text)
        found = self._pii(text)
        if not found:
            return
        key = (ctx.server, ctx.protocol or "unknown")
        agg = self._personal.get(key)
        if agg is None:
            if len(self._personal) >= MAX_AGGREGATES:
                self._dropped += 1
                return
            agg = self._personal[key] = _Aggregate(ctx.flow, packet)
        agg.places.add(where)
        for entity, value in found:
            agg.count += 1
            examples = agg.entities.setdefault(entity, [])
            masked = mask_entity(entity, value)
            if len(examples) < MAX_EXAMPLES and masked not in examples:
                examples.append(masked)
            if len(agg.subjects) < MAX_SUBJECTS:
                agg.subjects.add(self._hash(f"{entity}\0{value}"))

    def handshake(self, ctx: FlowContext, packet: int,
                  attributes: dict[str, JSONValue]) -> None:
        parts = tuple(str(attributes.get(k)) for k in (
            "version", "suite", "client_max_version", "sni", "sslv2_hello", "dh_bits"))
        if not self._first(("tls", ctx.server, *parts)):
            return
        attributes = {**attributes, "server": ctx.server}
        if ctx.via:
            attributes["via"] = ctx.via
        evidence: dict[str, JSONValue] = {
            k: attributes[k] for k in ("version", "suite", "client_max_version", "sni")
            if attributes.get(k) is not None}
        self._emit("tls.handshake", ctx, packet, attributes=attributes, evidence=evidence,
                   identity=self._hash("\0".join(parts)))

    def certificate(self, ctx: FlowContext, packet: int, der: bytes, position: int) -> None:
        from cryptography import x509
        from cryptography.utils import CryptographyDeprecationWarning

        from scanners.crypto.x509facts import certificate_facts, mask_personal_names

        # NOTE: parsing and judging a certificate costs ~1 ms; a server sends the same
        # chain on every connection, so repeats are dropped before parsing.
        if not self._first(("der", ctx.server, hashlib.sha256(der).hexdigest())):
            return
        try:
            with warnings.catch_warnings():
                # NOTE: certificates on the wire break RFC 5280 (negative serials...);
                # cryptography warns that it will refuse them one day, then ValueError.
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                cert = x509.load_der_x509_certificate(der)
                facts = certificate_facts(cert, self.as_of)
                mask_personal_names(cert, facts)
        except (ValueError, TypeError, x509.InvalidVersion):
            self.problem(ctx, packet, f"certificate {position} in the handshake is not "
                                      "valid DER X.509")
            return
        # NOTE: every certificate of the chain is reported with its position; the rules
        # decide what matters for a CA or a trust anchor (is_ca, self_signed).
        if not self._first(("cert", ctx.server, str(facts["sha256"]))):
            return
        attributes: dict[str, JSONValue] = {
            **facts, "source": "tls-handshake", "chain_position": position,
            "server": ctx.server}
        evidence: dict[str, JSONValue] = {
            k: facts[k] for k in ("subject_cn", "issuer_cn", "not_after", "signature_algorithm",
                                  "key_type", "key_bits", "sha256")}
        self._emit("crypto.certificate", ctx, packet, attributes=attributes,
                   evidence=evidence, identity=str(facts["sha256"]))

    def banner(self, ctx: FlowContext, packet: int, role: str,
               attributes: dict[str, JSONValue]) -> None:
        parts = (str(attributes.get("protocol_version")), str(attributes.get("software")))
        if not self._first(("banner", ctx.server, role, *parts)):
            return
        attributes = {**attributes, "role": role, "server": ctx.server}
        self._emit("ssh.banner", ctx, packet, attributes=attributes, evidence=dict(attributes),
                   identity=self._hash("\0".join((role, *parts))))

    def problem(self, ctx: FlowContext | None, packet: int, message: str) -> None:
        where = Location(self.uri, flow=ctx.flow if ctx else None, packet=packet)
        self._out.append(Problem(message, where))

    def flow_closed(self, ctx: FlowContext, cleartext: bool) -> None:
        """Account a finished connection that carried a cleartext protocol."""
        if not cleartext or ctx.protocol is None or ctx.tls_upgraded:
            return
        key = (ctx.server, ctx.protocol)
        agg = self._services.get(key)
        if agg is None:
            if len(self._services) >= MAX_AGGREGATES:
                self._dropped += 1
                return
            agg = self._services[key] = _Aggregate(ctx.flow, ctx.first_packet)
        agg.flows += 1
        agg.count += ctx.client_bytes + ctx.server_bytes

    # ---- end of capture ---------------------------------------------------------------
    def finish(self) -> list[Observation | Problem]:
        """The aggregated observations, in order of first packet; then ``drain()``."""
        ready: list[tuple[int, str, Observation]] = []
        for (server, protocol), agg in self._services.items():
            attributes: dict[str, JSONValue] = {
                "protocol": protocol, "server": server, "flows": agg.flows,
                "bytes": agg.count}
            ready.append((agg.packet, server, Observation(
                kind="net.cleartext_service",
                location=Location(self.uri, flow=agg.flow, packet=agg.packet),
                attributes=attributes, evidence={"protocol": protocol, "flows": agg.flows},
                identity=self._hash(f"service\0{protocol}"))))
        for (server, protocol), agg in self._personal.items():
            entities = sorted(agg.entities)
            pii_attributes: dict[str, JSONValue] = {
                "protocol": protocol, "server": server, "places": _strings(sorted(agg.places)),
                "count": agg.count, "entities": _strings(entities)}
            ready.append((agg.packet, server, Observation(
                kind="net.pii", location=Location(self.uri, flow=agg.flow, packet=agg.packet),
                attributes=pii_attributes,
                evidence={e: _strings(agg.entities[e]) for e in entities},
                identity=self._hash(f"pii\0{protocol}\0{','.join(entities)}"),
                entities=tuple(entities), subjects=len(agg.subjects))))
        ready.sort(key=lambda item: (item[0], item[1], item[2].kind))
        self._out.extend(obs for _, _, obs in ready)
        if self._dropped:
            self._out.append(Problem(
                f"{self._dropped} server/protocol pairs beyond the limit of {MAX_AGGREGATES} "
                "were not reported (cleartext services, personal data)", None))
            self._dropped = 0
        self._services.clear()
        self._personal.clear()
        return self.drain()


def _strings(values: Iterable[str]) -> list[JSONValue]:
    return list(values)
