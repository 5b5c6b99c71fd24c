"""Turning what the protocol analysers saw into masked, de-duplicated observations.

Analysers never build observations themselves: they report raw facts to a
:class:`FlowContext` (one per connection), and the :class:`Recorder` masks them, drops
repeats and builds the :class:`~auditor.models.Observation` records. This is the one place
where values from the wire are masked (``mask`` / ``mask_secret``) or keyed-hashed, so a
raw password or personal datum can never reach an attribute, evidence or message.

One observation per (server endpoint, fact) (DESIGN.md "Finding identity"): repeats of a
fact on one server (every login of a brute force, every handshake with the same
parameters, every session cookie of one name) collapse into one observation carrying
``occurrences`` and the first and last frame and capture time it was seen; different
servers are never merged and client ports never split a fact. A certificate is one
observation whatever the number of servers that presented it, listing them
(``servers``). Everything is emitted by :meth:`Recorder.finish`, in order of first
frame; facts live in :mod:`scanners.pcap.facts`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.masking import keyed_hash, mask, mask_entity, mask_secret
from auditor.models import JSONValue, Location, Observation, Problem
from auditor.sketch import DistinctSketch

from .facts import Clock, Fact, family, iso_time

if TYPE_CHECKING:
    from .pii import Found, PiiDetection

__all__ = ["FlowContext", "Recorder"]

MAX_SEEN = 200_000  # NOTE: bounds the de-duplication sets on hostile captures
#: hashes kept per personal-data aggregate to count its distinct subjects: the count is
#: exact below this many, an estimate above (auditor.sketch: ~1.6 % standard error)
SUBJECT_SKETCH = 4096
MAX_PII_TEXT = 1 << 20  # per flow and direction, characters handed to the PII engine
MAX_EXAMPLES = 3
MAX_AGGREGATES = 100_000  # servers x protocols folded into end-of-capture observations
#: a payload text's (server, protocol, flow, packet, capture time, place)
_Text = tuple[str, str, str, int, float, str]


@dataclass(slots=True)
class FlowContext:
    """Per-connection state shared by the dispatcher and the analysers (mutable)."""

    recorder: Recorder
    flow: str  # "CLIENT:PORT->SERVER:PORT"
    server: str  # "SERVER:PORT"
    first_packet: int
    first_time: float = 0.0  # capture time of first_packet
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
    time: float
    last_packet: int = 0
    last_time: float = 0.0
    flows: int = 0
    entities: dict[str, list[str]] = field(default_factory=dict)
    places: set[str] = field(default_factory=set)
    #: personal data only: its distinct subjects (services keep an empty one)
    subjects: DistinctSketch = field(default_factory=lambda: DistinctSketch(b"", 1))
    count: int = 0


class Recorder:
    """Collects the facts of one capture; :meth:`finish` builds the observations."""

    def __init__(self, uri: str, hash_key: bytes, as_of: dt.date,
                 pii: PiiDetection | None = None) -> None:
        self.uri = uri
        self.as_of = as_of
        self.clock = Clock()
        self._key = hash_key
        self._pii = pii
        self._out: list[Observation | Problem] = []
        self._facts: dict[tuple[str, ...], Fact] = {}
        self._der: dict[str, str | None] = {}  # DER digest -> certificate sha256 (None: bad)
        self._services: dict[tuple[str, str], _Aggregate] = {}
        self._personal: dict[tuple[str, str], _Aggregate] = {}
        self._dropped = 0  # facts / aggregates not kept because of MAX_AGGREGATES

    # ---- plumbing ---------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """Whether observations (problems, during the scan) are ready for :meth:`drain`."""
        return bool(self._out)

    def drain(self) -> list[Observation | Problem]:
        out, self._out = self._out, []
        return out

    def _hash(self, value: str) -> str:
        return keyed_hash(value, self._key)

    def _fact(self, key: tuple[str, ...], ctx: FlowContext, packet: int) -> Fact | None:
        """The fact already recorded under ``key`` (this occurrence folded into it), or
        None: the caller then creates it with :meth:`_new`."""
        fact = self._facts.get(key)
        if fact is not None:
            fact.seen(packet, self.clock.time(packet), ctx.flow)
        return fact

    def _new(self, key: tuple[str, ...], kind: str, ctx: FlowContext, packet: int, *,
             attributes: dict[str, JSONValue], evidence: dict[str, JSONValue],
             identity: str) -> Fact | None:
        if len(self._facts) >= MAX_AGGREGATES:
            self._dropped += 1
            return None
        fact = Fact(kind, ctx.flow, packet, self.clock.time(packet), attributes, evidence,
                    identity)
        self._facts[key] = fact
        return fact

    # ---- facts from analysers ---------------------------------------------------------
    def credential(self, ctx: FlowContext, packet: int, protocol: str, mechanism: str, *,
                   user: str | None, secret: str | None, exposed: bool) -> None:
        # NOTE: one fact per server, protocol and mechanism: a brute force of hundreds of
        # logins is one finding with a count and the accounts tried (masked).
        exposed = exposed and bool(secret)
        key = ("auth", ctx.server, protocol, mechanism, str(exposed))
        fact = self._fact(key, ctx, packet)
        if fact is None:
            attributes: dict[str, JSONValue] = {
                "protocol": protocol, "mechanism": mechanism, "server": ctx.server,
                "user_present": bool(user), "secret_exposed": exposed, "accounts_count": 0,
            }
            if ctx.via:
                attributes["via"] = ctx.via
            evidence: dict[str, JSONValue] = {"protocol": protocol, "mechanism": mechanism}
            if user:
                evidence["user"] = mask(user)
            if secret and exposed:
                evidence["password"] = mask_secret(secret)
            fact = self._new(key, "net.cleartext_auth", ctx, packet, attributes=attributes,
                             evidence=evidence,
                             identity=self._hash(f"{protocol}\0{mechanism}\0{exposed}"))
        if fact is not None and user:
            fact.note("accounts", mask(user), self._hash(f"user\0{user}"))

    def token(self, ctx: FlowContext, packet: int, protocol: str, name: str, *, value: str,
              where: str) -> None:
        # NOTE: one fact per server and token name: session ids change every connection,
        # and the fingerprint must not.
        key = ("token", ctx.server, where, name)
        if self._fact(key, ctx, packet) is not None:
            return
        safe_name = name if len(name) <= 64 else name[:64]
        attributes: dict[str, JSONValue] = {
            "protocol": protocol, "name": safe_name, "where": where, "server": ctx.server,
            "value_length": len(value),
        }
        evidence: dict[str, JSONValue] = {"name": safe_name, "value": mask_secret(value)}
        self._new(key, "net.session_token", ctx, packet, attributes=attributes,
                  evidence=evidence, identity=self._hash(f"{where}\0{name}"))

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
        # NOTE: the verdict may come later (batches, worker processes); everything the
        # aggregate needs is taken now, and verdicts are applied in the order of the texts
        self._pii.put((ctx.server, ctx.protocol or "unknown", ctx.flow, packet,
                       self.clock.time(packet), where), text)
        self._personal_data(self._pii.ready())

    def _personal_data(self, verdicts: Iterator[tuple[_Text, Found]]) -> None:
        for text, found in verdicts:
            if found:
                self._personal_datum(text, found)

    def _personal_datum(self, text: _Text, found: Found) -> None:
        server, protocol, flow, packet, time, where = text
        key = (server, protocol)
        agg = self._personal.get(key)
        if agg is None:
            if len(self._personal) >= MAX_AGGREGATES:
                self._dropped += 1
                return
            agg = self._personal[key] = _Aggregate(
                flow, packet, time, subjects=DistinctSketch(self._key, SUBJECT_SKETCH))
        elif packet < agg.packet:
            agg.flow, agg.packet, agg.time = flow, packet, time
        if packet >= agg.last_packet:
            agg.last_packet, agg.last_time = packet, time
        agg.flows += 1
        agg.places.add(where)
        subjects = agg.subjects
        for entity, value in found:
            agg.count += 1
            examples = agg.entities.setdefault(entity, [])
            if len(examples) < MAX_EXAMPLES:
                masked = mask_entity(entity, value)
                if masked not in examples:
                    examples.append(masked)
            # NOTE: constant memory whatever the number of people in the capture: a
            # keyed k-minimum-values sketch, exact below SUBJECT_SKETCH distinct subjects
            subjects.add(f"{entity}\0{value}")

    def handshake(self, ctx: FlowContext, packet: int,
                  attributes: dict[str, JSONValue]) -> None:
        # NOTE: the fact is what the server negotiated (version, suite, DH group); the
        # server names asked for (SNI) are listed, not split on. Without a ServerHello the
        # fact is the client's best offer.
        if attributes.get("server_hello"):
            parts = tuple(str(attributes.get(k)) for k in ("version", "suite", "dh_bits"))
        else:
            parts = ("client", str(attributes.get("client_max_version")),
                     str(attributes.get("sslv2_hello")))
        key = ("tls", ctx.server, *parts)
        fact = self._fact(key, ctx, packet)
        if fact is None:
            attributes = {**attributes, "server": ctx.server}
            if ctx.via:
                attributes["via"] = ctx.via
            evidence: dict[str, JSONValue] = {
                k: attributes[k] for k in ("version", "suite", "client_max_version", "sni")
                if attributes.get(k) is not None}
            fact = self._new(key, "tls.handshake", ctx, packet, attributes=attributes,
                             evidence=evidence, identity=self._hash("\0".join(parts)))
        sni = attributes.get("sni")
        if fact is not None and isinstance(sni, str) and sni:
            fact.note("server_names", sni[:253])

    def certificate(self, ctx: FlowContext, packet: int, der: bytes, position: int) -> None:
        # NOTE: parsing and judging a certificate costs ~1 ms; a server sends the same
        # chain on every connection, so repeats are recognised by their digest first.
        digest = hashlib.sha256(der).hexdigest()
        if digest in self._der:
            sha = self._der[digest]
            fact = self._facts.get(("cert", sha)) if sha is not None else None
            if fact is not None:
                fact.seen(packet, self.clock.time(packet), ctx.flow)
                fact.note("servers", ctx.server)
            return
        from cryptography import x509
        from cryptography.utils import CryptographyDeprecationWarning

        from auditor.knowledge.x509facts import certificate_facts, mask_personal_names

        try:
            with warnings.catch_warnings():
                # NOTE: certificates on the wire break RFC 5280 (negative serials...);
                # cryptography warns that it will refuse them one day, then ValueError.
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                cert = x509.load_der_x509_certificate(der)
                facts = certificate_facts(cert, self.as_of)
                mask_personal_names(cert, facts)
        except (ValueError, TypeError, x509.InvalidVersion):
            if len(self._der) < MAX_SEEN:
                self._der[digest] = None
            self.problem(ctx, packet, f"certificate {position} in the handshake is not "
                                      "valid DER X.509")
            return
        sha = str(facts["sha256"])
        if len(self._der) < MAX_SEEN:
            self._der[digest] = sha
        key = ("cert", sha)
        fact = self._fact(key, ctx, packet)
        if fact is None:
            # NOTE: every certificate of the chain is reported with its position; the
            # rules decide what matters for a CA or a trust anchor (is_ca, self_signed).
            # One observation per certificate, listing the servers that presented it.
            attributes: dict[str, JSONValue] = {
                **facts, "source": "tls-handshake", "chain_position": position,
                "server": ctx.server}
            if ctx.via:
                attributes["via"] = ctx.via
            evidence: dict[str, JSONValue] = {
                k: facts[k] for k in ("subject_cn", "issuer_cn", "not_after",
                                      "signature_algorithm", "key_type", "key_bits",
                                      "sha256")}
            fact = self._new(key, "crypto.certificate", ctx, packet, attributes=attributes,
                             evidence=evidence, identity=sha)
        if fact is not None:
            fact.note("servers", ctx.server)

    def banner(self, ctx: FlowContext, packet: int, role: str,
               attributes: dict[str, JSONValue]) -> None:
        parts = (str(attributes.get("protocol_version")), str(attributes.get("software")))
        key = ("banner", ctx.server, role, *parts)
        if self._fact(key, ctx, packet) is not None:
            return
        attributes = {**attributes, "role": role, "server": ctx.server}
        self._new(key, "ssh.banner", ctx, packet, attributes=attributes,
                  evidence=dict(attributes), identity=self._hash("\0".join((role, *parts))))

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
            agg = self._services[key] = _Aggregate(ctx.flow, ctx.first_packet,
                                                   ctx.first_time)
        elif ctx.first_packet < agg.packet:
            agg.flow, agg.packet, agg.time = ctx.flow, ctx.first_packet, ctx.first_time
        if ctx.first_packet >= agg.last_packet:
            agg.last_packet, agg.last_time = ctx.first_packet, ctx.first_time
        agg.flows += 1
        agg.count += ctx.client_bytes + ctx.server_bytes

    # ---- end of capture ---------------------------------------------------------------
    def close(self) -> None:
        """Release the PII workers (also when the scan stops early)."""
        if self._pii is not None:
            self._pii.close()

    def finish(self) -> list[Observation | Problem]:
        """Every observation, in order of first frame; then what ``drain()`` held."""
        if self._pii is not None:
            self._personal_data(self._pii.finish())
        ready: list[tuple[int, Observation]] = []
        sensitive: set[tuple[str, str]] = set()  # (server, protocol family)
        for fact in self._facts.values():
            if fact.kind in ("net.cleartext_auth", "net.session_token"):
                sensitive.add((str(fact.attributes["server"]),
                               family(str(fact.attributes["protocol"]))))
            if fact.kind == "crypto.certificate":
                servers: list[JSONValue] = list(fact.listed.get("servers", []))
                ready.append((fact.packet, fact.observation(self.uri, servers=servers)))
            else:
                ready.append((fact.packet, fact.observation(self.uri)))
        for (server, protocol), agg in self._personal.items():
            sensitive.add((server, family(protocol)))
            entities = sorted(agg.entities)
            pii_attributes: dict[str, JSONValue] = {
                "protocol": protocol, "server": server, "places": _strings(sorted(agg.places)),
                "count": agg.count, "entities": _strings(entities), "occurrences": agg.flows}
            pii_evidence: dict[str, JSONValue] = {e: _strings(agg.entities[e])
                                                  for e in entities}
            pii_evidence.update(_seen(agg, agg.flows))
            ready.append((agg.packet, Observation(
                kind="net.pii", location=Location(self.uri, flow=agg.flow, packet=agg.packet),
                attributes=pii_attributes, evidence=pii_evidence,
                identity=self._hash(f"pii\0{protocol}\0{','.join(entities)}"),
                entities=tuple(entities), subjects=agg.subjects.estimate())))
        for (server, protocol), agg in self._services.items():
            attributes: dict[str, JSONValue] = {
                "protocol": protocol, "server": server, "flows": agg.flows,
                "bytes": agg.count, "occurrences": agg.flows,
                # NOTE: whether credentials, session tokens or personal data crossed this
                # service in cleartext: plain HTTP without them is a low-severity finding
                "sensitive": (server, family(protocol)) in sensitive}
            evidence: dict[str, JSONValue] = {"protocol": protocol, "flows": agg.flows,
                                              **_seen(agg, agg.flows)}
            ready.append((agg.packet, Observation(
                kind="net.cleartext_service",
                location=Location(self.uri, flow=agg.flow, packet=agg.packet),
                attributes=attributes, evidence=evidence,
                identity=self._hash(f"service\0{protocol}"))))
        # NOTE: stable sort: ties keep the (deterministic) order in which facts appeared
        ready.sort(key=lambda item: item[0])
        self._out.extend(obs for _, obs in ready)
        if self._dropped:
            self._out.append(Problem(
                f"{self._dropped} facts beyond the limit of {MAX_AGGREGATES} were not reported "
                "(credentials, tokens, handshakes, certificates, cleartext services, "
                "personal data)",
                None))
            self._dropped = 0
        self._facts.clear()
        self._der.clear()
        self._services.clear()
        self._personal.clear()
        return self.drain()


def _seen(agg: _Aggregate, occurrences: int) -> dict[str, JSONValue]:
    return {"occurrences": occurrences, "first_packet": agg.packet,
            "first_seen": iso_time(agg.time), "last_packet": agg.last_packet,
            "last_seen": iso_time(agg.last_time)}


def _strings(values: Iterable[str]) -> list[JSONValue]:
    return list(values)
