"""Network capture scanner: cleartext credentials, personal data on the wire, weak TLS.

Reads pcap and pcapng captures (also gzip-compressed) as a stream, reassembles TCP
connections within fixed memory bounds, identifies protocols by content and reports what
each connection exposes. Facts only: the ``core`` pack (rules/core/network.yaml and
rules/core/crypto.yaml) decides what is a violation.

Observation kinds (location: ``uri``, ``flow`` = ``CLIENT_IP:PORT->SERVER_IP:PORT``,
``packet`` = 1-based frame number where the evidence starts). One observation per server
endpoint and fact (a certificate: one per certificate, listing ``servers``); every one
carries ``occurrences`` (attribute and evidence) and, in its evidence, ``first_packet``,
``first_seen``, ``last_packet``, ``last_seen`` (frame numbers, UTC capture times):

``net.cleartext_auth``
    Logins sent without TLS, one per server, protocol and mechanism. ``protocol``
    (http-basic, http-digest, http-form, ftp, telnet, smtp, pop3, imap, xmpp, ldap, snmp,
    postgres, mysql), ``mechanism`` (basic, digest,
    form, json, query, multipart, user-pass, sasl-plain, sasl-login, sasl-cram-md5, apop,
    login, simple-bind, community-v1, community-v2c, password, md5, mysql_clear_password,
    mysql_native_password...), ``secret_exposed`` (the password itself crossed the wire,
    not a challenge response), ``user_present``, ``server``, ``via``, ``accounts_count``.
    Evidence: the first user masked (``ad•••n``), the first password only as
    ``•••(length)``, ``accounts`` (up to 20 users, masked).
``net.cleartext_service``
    A cleartext protocol carried sessions to a server (one per server and protocol, emitted
    at the end): ``protocol``, ``server``, ``flows``, ``bytes``, ``sensitive`` (credentials,
    session tokens or personal data crossed the same server and protocol in cleartext).
    Connections upgraded with STARTTLS / AUTH TLS / SSLRequest do not count.
``net.session_token``
    A session cookie, bearer token or API key sent in cleartext HTTP (one per server and
    name): ``protocol``, ``name``, ``where`` (cookie, set-cookie, header, url),
    ``value_length``. Evidence: the value as ``•••(length)``.
``net.pii``
    Personal data in cleartext payloads, found by the PII engine (one per server and
    protocol, emitted at the end): ``protocol``, ``entities``, ``places`` (url, body,
    response, query, result, message, envelope), ``count``; ``subjects`` counts distinct
    keyed hashes; evidence holds up to three masked examples per entity type.
``tls.handshake``
    One per server and negotiated (version, suite, DH group), or without a ServerHello
    per server and the client's best version (``server_names_count``, evidence
    ``server_names``): ``version``, ``suite``, ``suite_code``,
    ``suite_flags``, ``kex``, ``dh_bits``, ``ec_curve``, ``client_version``,
    ``client_versions``, ``client_max_version``, ``offered_suites``, ``offered_flags``,
    ``sni``, ``sslv2_hello``, ``client_hello``, ``server_hello``, ``server``, ``via``
    (e.g. ``smtp`` after STARTTLS).
``crypto.certificate``
    A certificate the server sent in a TLS <= 1.2 or SSLv2 handshake, with the attributes of
    auditor.knowledge.x509facts.certificate_facts (judged ``--as-of``) plus ``source``
    (``tls-handshake``), ``chain_position`` (0 = the server's own, then the chain as
    sent), ``server`` (the first to present it), ``servers`` (up to 20) and
    ``servers_count``; one per certificate, however many servers presented it.
``ssh.banner``
    ``role`` (client/server), ``protocol_version`` (2.0, 1.99, 1.5), ``software``,
    ``comments``.

Example::

    Observation(kind="net.cleartext_auth",
                location=Location("capture.pcap", flow="10.0.0.5:51514->10.0.0.9:21",
                                  packet=7),
                attributes={"protocol": "ftp", "mechanism": "user-pass",
                            "secret_exposed": True, "user_present": True,
                            "server": "10.0.0.9:21"},
                evidence={"protocol": "ftp", "mechanism": "user-pass",
                          "user": "ad•••n", "password": "••••••(6)"})

Options (``--option pcap.NAME=VALUE``): ``max_flows`` (65536), ``idle_timeout`` (300 s),
``max_stream_bytes`` (4 MiB per direction), ``max_pending_bytes`` (256 KiB),
``pii`` (true). See docs/captures.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from auditor.errors import ConfigError, TargetError
from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, Claim, Option, Scanner, ScanOptions

from .dispatch import CaptureSession
from .events import Recorder
from .flows import Limits
from .pii import pii_detection
from .reader import PCAP_MAGICS, PCAPNG_MAGIC, CaptureError, open_capture, read_frames

__all__ = ["PcapScanner"]


_LIMIT_OPTIONS = ("max_flows", "max_stream_bytes", "max_pending_bytes", "idle_timeout")
_OPTIONS = frozenset((*_LIMIT_OPTIONS, "pii"))


def _limits(options: ScanOptions) -> Limits:
    """The reassembly limits from ``pcap.*`` options; ValueError names a bad one."""
    for key in options.params:
        if key.startswith("pcap.") and key[5:] not in _OPTIONS:
            known = ", ".join(f"pcap.{name}" for name in sorted(_OPTIONS))
            raise ValueError(f"unknown option {key} (known: {known})")
    pii = options.get("pcap.pii", True)
    if not isinstance(pii, bool):
        raise ValueError(f"option pcap.pii must be true or false (got {pii!r})")
    base = Limits()
    values: dict[str, float] = {}
    for name in _LIMIT_OPTIONS:
        raw = options.get(f"pcap.{name}")
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
            raise ValueError(f"option pcap.{name} must be a positive number (got {raw!r})")
        values[name] = raw
    return Limits(
        max_flows=int(values.get("max_flows", base.max_flows)),
        idle_timeout=float(values.get("idle_timeout", base.idle_timeout)),
        max_stream_bytes=int(values.get("max_stream_bytes", base.max_stream_bytes)),
        max_pending_bytes=int(values.get("max_pending_bytes", base.max_pending_bytes)),
    )


_DEFAULT_LIMITS = Limits()


@contextmanager
def _closing(recorder: Recorder) -> Iterator[None]:
    try:
        yield
    finally:
        recorder.close()


class PcapScanner(Scanner):
    """pcap / pcapng capture files (also gzip-compressed)."""

    name = "pcap"
    description = "Network captures: cleartext credentials and personal data, weak TLS"
    emits = ("net.cleartext_auth", "net.cleartext_service", "net.session_token", "net.pii",
             "tls.handshake", "crypto.certificate", "ssh.banner")

    options = (
        Option("pii", "bool", True, "look for personal data in cleartext payloads"),
        Option("max_flows", "int", _DEFAULT_LIMITS.max_flows, "connections tracked at once", 1),
        Option("max_stream_bytes", "int", _DEFAULT_LIMITS.max_stream_bytes,
               "bytes analysed per connection and direction", 1),
        Option("max_pending_bytes", "int", _DEFAULT_LIMITS.max_pending_bytes,
               "out-of-order bytes held per connection", 1),
        Option("idle_timeout", "number", _DEFAULT_LIMITS.idle_timeout,
               "seconds after which an idle connection is closed", 0.001),
    )

    def claim(self, candidate: Candidate) -> Claim | None:
        magic = candidate.head[:4]
        if magic in PCAP_MAGICS:
            return Claim("pcap", 100)
        if magic == PCAPNG_MAGIC:
            return Claim("pcapng", 100)
        return None

    def check_options(self, options: ScanOptions) -> None:
        try:
            _limits(options)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        try:
            limits = _limits(options)
        except ValueError as exc:
            raise TargetError(str(exc)) from None
        try:
            stream = open_capture(target.locator)
        except OSError as exc:
            raise TargetError(f"{target.uri}: cannot open capture ({exc.strerror})") from None
        recorder = Recorder(target.uri, options.hash_key, options.as_of,
                            pii_detection(options))
        session = CaptureSession(recorder, limits)
        failure: CaptureError | None = None
        with stream, _closing(recorder):
            try:
                for frame in read_frames(stream):
                    session.frame(frame)
                    if recorder.pending:
                        yield from recorder.drain()
            except CaptureError as exc:
                failure = exc
            # NOTE: a capture cut short still reports the connections seen before the cut
            session.close()
            yield from recorder.finish()
        if failure is not None:
            raise TargetError(f"{target.uri}: {failure}", offset=failure.offset)
