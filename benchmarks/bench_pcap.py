"""Capture scanner vs tshark field extraction vs scapy full dissection.

    python benchmarks/bench_pcap.py                 # 150 MB capture (and a 15 MB one)
    python benchmarks/bench_pcap.py --scale 0.1     # quick: 15 MB (and 1.5 MB)

One run generates (once, cached in ``benchmarks/.data/``) a mixed capture of
``150 MB x scale`` with fixtures/gen_pcap.py (bulk HTTPS/HTTP downloads, logins, legacy
TLS, DNS, and after every bulk session one cleartext portal, SMTP or FTP session with
personal data: forms, JSON records, profile pages, notification mails, CSV exports; about
half of the TCP connections) and a second one ten times smaller, then
measures on the same files, each tool in its own process:

- ``auditor``: ``auditor scan CAPTURE --format json`` (the real CLI, rules included),
  once with ``--option pcap.pii=false`` (the work comparable to tshark's field extraction)
  and with personal-data detection, ``--jobs 1`` and ``--jobs 2`` (detection in a worker
  process while the main one parses);
- ``tshark``: the comparable field extraction (``-T fields``: HTTP Authorization, FTP and
  POP commands, SNMP community, TLS handshake type/version/cipher suite);
- ``scapy``: ``PcapReader`` full dissection of every packet (TLS and HTTP layers loaded).

Reported: wall and CPU seconds (best of ``--repeat`` runs), MB/s, peak RSS (``wait4``).
Then the findings: the servers with cleartext credentials, deprecated TLS versions and
weak suites according to our report and according to tshark's fields (HTTP Basic and
password form fields, FTP/POP3 PASS, IMAP/SMTP passwords, LDAP simple binds, PostgreSQL
passwords, SNMP communities, ServerHello versions and suites, SSLv2 cipher specs), whether
they are identical (and equal to the generator's truth); and our peak RSS on the large
capture vs the 10x smaller one. Telnet logins have no tshark field and are left out of
the comparison.
tshark must be installed (``apt-get install tshark``); it is never a runtime dependency.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
AS_OF = "2026-11-25"
BASE_MB = 150.0
AUDITOR = shutil.which("auditor", path=str(Path(sys.executable).parent)) or "auditor"
TSHARK_FIELDS = ("ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport",
                 "udp.srcport", "udp.dstport", "http.authorization", "ftp.request.command",
                 "pop.request.command", "snmp.community", "tls.handshake.type",
                 "tls.handshake.version", "tls.handshake.ciphersuite",
                 "tls.handshake.cipherspec", "imap.request.password", "smtp.auth.password",
                 "ldap.simple", "pgsql.password", "urlencoded-form.key")
DEPRECATED = {0x0002, 0x0300, 0x0301, 0x0302}
Findings = set[tuple[str, str]]  # (category, server endpoint)


def capture(megabytes: float) -> Path:
    """Generate (or reuse) a capture of about ``megabytes`` MB."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"portal-{megabytes:g}MB.pcap"
    truth = path.with_suffix(".truth.json")
    if not (path.exists() and truth.exists()):
        subprocess.run([sys.executable, str(ROOT / "fixtures" / "gen_pcap.py"), "--out",
                        str(path), "--truth", str(truth), "--bulk-mb", str(megabytes)],
                       check=True, stdout=subprocess.DEVNULL)
    return path


class Run(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the process
    rss: float  # peak resident set, MB
    found: Findings


def best(runs: list[Run]) -> Run:
    """Fastest wall and CPU time, highest peak RSS, findings of the last run.

    NOTE: the best of several runs, interleaved tool by tool, because the machine is
    shared: the slower runs measure the neighbours, not the tool. CPU time is reported
    too: it depends much less on the neighbours than wall time."""
    return Run(min(r.wall for r in runs), min(r.cpu for r in runs), max(r.rss for r in runs),
               runs[-1].found)


def measure(argv: list[str], stdout: int | None = subprocess.DEVNULL,
            ) -> tuple[float, float, float, bytes]:
    """Run a command once; (wall seconds, CPU seconds, peak RSS in MB, captured stdout)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out if stdout is None else stdout,
                                stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise RuntimeError(f"{argv[0]} failed with status {status}")
        out.seek(0)
        data = out.read() if stdout is None else b""
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, data


def run_auditor(path: Path, out: Path, *, pii: bool = True, jobs: int = 1) -> Run:
    # NOTE: the installed console script, as a user runs it (start-up included)
    cli = [AUDITOR, "scan", str(path), "--format", "json", "-o",
           str(out), "--as-of", AS_OF, "--jobs", str(jobs), "--quiet", "--fail-on", "never"]
    if not pii:
        cli += ["--option", "pcap.pii=false"]
    wall, cpu, rss, _ = measure(cli)
    doc = json.loads((out / "report.json").read_text())
    names = {"core.net.cleartext-credentials": "cleartext-credentials",
             "core.net.tls-deprecated-version": "tls-deprecated",
             "core.net.tls-weak-cipher": "tls-weak-cipher"}
    found = {(names[f["rule_id"]], f["location"]["flow"].split("->")[1])
             for f in doc["findings"] if f["rule_id"] in names
             and f["evidence"].get("protocol") != "telnet"}
    return Run(wall, cpu, rss, found)


def _endpoint(ip: str, port: str) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def run_tshark(path: Path) -> Run:
    from auditor.scanners.pcap.protocols.http import is_password_field
    from auditor.scanners.pcap.suites import sslv2_kind, suite

    # NOTE: out-of-order reassembly is off by default in tshark; switched on so that it
    # reads the same reassembled streams as we do.
    argv = ["tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-r", str(path), "-T",
            "fields", "-E", "separator=/t"]
    for name in TSHARK_FIELDS:
        argv += ["-e", name]
    wall, cpu, rss, out = measure(argv, stdout=None)
    found: Findings = set()
    weak = {"EXPORT", "NULL", "RC4", "DES", "3DES", "RC2", "ANON", "MD5"}
    for line in out.decode("utf-8", "replace").splitlines():
        f = dict(zip(TSHARK_FIELDS, line.split("\t"), strict=False))
        src, dst = f["ip.src"] or f["ipv6.src"], f["ip.dst"] or f["ipv6.dst"]
        sport = f["tcp.srcport"] or f["udp.srcport"]
        dport = f["tcp.dstport"] or f["udp.dstport"]
        form_keys = f["urlencoded-form.key"].split(",")
        if f["http.authorization"].startswith("Basic") or "PASS" in (
                f["ftp.request.command"], f["pop.request.command"]) or any(
                f[k] for k in ("snmp.community", "imap.request.password",
                               "smtp.auth.password", "ldap.simple", "pgsql.password")) or \
                any(is_password_field(k) for k in form_keys if k):
            found.add(("cleartext-credentials", _endpoint(dst, dport)))
        types = f["tls.handshake.type"].split(",")
        if "2" in types or "4" in types:  # ServerHello / SSLv2 SERVER-HELLO
            version = int(f["tls.handshake.version"].split(",")[0] or "0", 16)
            server = _endpoint(src, sport)
            if version in DEPRECATED:
                found.add(("tls-deprecated", server))
            codes = [c for c in f["tls.handshake.ciphersuite"].split(",") if c]
            specs = [c for c in f["tls.handshake.cipherspec"].split(",") if c]
            info = suite(int(codes[0], 16)) if codes else \
                sslv2_kind(int(specs[0], 16)) if specs else None
            if info is not None and weak & set(info.flags):
                found.add(("tls-weak-cipher", server))
    return Run(wall, cpu, rss, found)


def run_scapy(path: Path) -> Run:
    # NOTE: with scapy's TLS and HTTP layers loaded, as a user dissecting these would
    code = ("import sys\nfrom scapy.all import load_layer\nfrom scapy.utils import PcapReader\n"
            "load_layer('tls')\nload_layer('http')\nn = 0\n"
            "for pkt in PcapReader(sys.argv[1]):\n    n += len(pkt.layers())\n")
    # NOTE: one run only: scapy is an order of magnitude slower, noise does not matter
    wall, cpu, rss, _ = measure([sys.executable, "-c", code, str(path)])
    return Run(wall, cpu, rss, set())


def scanner_cpu(path: Path, repeat: int) -> tuple[float, float, float]:
    """CPU seconds of the capture scanner alone (in this process, PII engine already
    loaded): without detection, detecting every text as it comes (no cache, batches of
    one: the scanner before the cache), and as shipped (cache and batches)."""
    import datetime as dt

    from auditor.scanners.pcap import PcapScanner
    from auditor.scanners.pcap import pii as pii_module

    from auditor.models import Target
    from auditor.pii import get_detector
    from auditor.scanner import ScanOptions

    get_detector()
    target = Target(uri=path.name, locator=str(path), kind="pcap", scanner="pcap")
    shipped = (pii_module.CACHE_ENTRIES, pii_module.BATCH_TEXTS)

    def once(params: dict[str, object], cache: int, batch: int) -> float:
        pii_module.CACHE_ENTRIES, pii_module.BATCH_TEXTS = cache, batch
        options = ScanOptions(dt.date.fromisoformat(AS_OF), b"bench", params)  # type: ignore[arg-type]
        start = time.process_time()
        for _ in PcapScanner().scan(target, options):
            pass
        return time.process_time() - start

    times: list[list[float]] = [[], [], []]
    try:
        for _ in range(repeat):
            times[0].append(once({"pcap.pii": False}, *shipped))
            times[1].append(once({}, 0, 1))
            times[2].append(once({}, *shipped))
    finally:
        pii_module.CACHE_ENTRIES, pii_module.BATCH_TEXTS = shipped
    return min(times[0]), min(times[1]), min(times[2])


def truth_findings(path: Path) -> Findings:
    doc = json.loads(path.with_suffix(".truth.json").read_text())
    names = {"core.net.cleartext-credentials": "cleartext-credentials",
             "core.net.tls-deprecated-version": "tls-deprecated",
             "core.net.tls-weak-cipher": "tls-weak-cipher"}
    return {(names[i["rule"]], i["flow"].split("->")[1]) for i in doc["items"]
            if i["rule"] in names and i["attributes"].get("protocol") != "telnet"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="capture size as a multiple of 150 MB (default 1)")
    parser.add_argument("--no-scapy", action="store_true", help="skip scapy (slowest)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (best is kept)")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    if shutil.which("tshark") is None:
        print("tshark is not installed (apt-get install tshark)", file=sys.stderr)
        return 2
    big, small = capture(BASE_MB * args.scale), capture(BASE_MB * args.scale / 10)
    rows: list[tuple[float, dict[str, Run]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in (small, big):
            mb = path.stat().st_size / 1e6
            runs: dict[str, list[Run]] = {"ours": [], "full": [], "jobs2": [], "shark": []}
            for _ in range(repeat):
                runs["ours"].append(run_auditor(path, Path(tmp), pii=False))
                runs["shark"].append(run_tshark(path))
                runs["full"].append(run_auditor(path, Path(tmp)))
                runs["jobs2"].append(run_auditor(path, Path(tmp), jobs=2))
            rows.append((mb, {"auditor (no PII)": best(runs["ours"]),
                              "auditor": best(runs["full"]),
                              "auditor --jobs 2": best(runs["jobs2"]),
                              "tshark": best(runs["shark"]),
                              **({} if args.no_scapy else {"scapy": run_scapy(path)})}))
    print(f"{'capture':>9} {'tool':>16} {'wall s':>7} {'MB/s':>6} {'CPU s':>7} "
          f"{'MB/CPU-s':>8} {'peak RSS MB':>11}")
    for mb, results in rows:
        for tool, r in results.items():
            print(f"{mb:8.1f}M {tool:>16} {r.wall:7.2f} {mb / r.wall:6.1f} {r.cpu:7.2f} "
                  f"{mb / r.cpu:8.1f} {r.rss:11.1f}")
    (mb_small, small_r), (mb, big_r) = rows
    ours, full, shark = big_r["auditor (no PII)"], big_r["auditor"], big_r["tshark"]
    jobs2 = big_r["auditor --jobs 2"]
    truth = truth_findings(big)
    print(f"\nspeed vs tshark on {mb:.0f} MB (wall / CPU): "
          f"{shark.wall / ours.wall:.2f}x / {shark.cpu / ours.cpu:.2f}x comparable extraction "
          f"(pcap.pii=false)")
    print(f"detection-on ratio vs tshark (wall / CPU): {shark.wall / full.wall:.2f}x / "
          f"{shark.cpu / full.cpu:.2f}x with --jobs 1; {shark.wall / jobs2.wall:.2f}x / "
          f"{shark.cpu / jobs2.cpu:.2f}x with --jobs 2 (goal: 1.5x)")
    growth = full.rss / small_r["auditor"].rss - 1
    print(f"peak RSS auditor, {mb_small:.0f} MB (1x) -> {mb:.0f} MB (10x) capture: "
          f"{small_r['auditor (no PII)'].rss:.1f} -> {ours.rss:.1f} MB (no PII), "
          f"{small_r['auditor'].rss:.1f} -> {full.rss:.1f} MB (with PII, {growth:+.1%}; "
          f"goal within 10 %); tshark {small_r['tshark'].rss:.1f} -> {shark.rss:.1f} MB")
    if full.found != ours.found or jobs2.found != ours.found:
        print("  findings differ with and without PII detection or between --jobs!")
    print(f"findings (category, server): auditor {len(ours.found)}, tshark {len(shark.found)}, "
          f"truth {len(truth)}; auditor == tshark: {ours.found == shark.found}; "
          f"auditor == truth: {ours.found == truth}")
    # NOTE: with PYTHONDONTWRITEBYTECODE=1 and no __pycache__ next to the sources (an
    # editable install on this machine), every run compiles the project's modules
    # (~0.2 CPU-s); an installed wheel has its byte-code
    cached = any((ROOT / "auditor").glob("__pycache__/*.pyc"))
    compiles = not cached and bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    print(f"project byte-code cached: {'yes' if cached else 'no'}"
          f"{' (PYTHONDONTWRITEBYTECODE: every run compiles the sources)' if compiles else ''}")
    off, single, shipped = scanner_cpu(big, repeat)
    print(f"capture scanner alone on {mb:.0f} MB (CPU s, PII engine loaded): no PII {off:.2f}; "
          f"with PII, one text at a time {single:.2f}, cached and batched {shipped:.2f} "
          f"(detection {single - off:.2f} -> {shipped - off:.2f})")
    for name, diff in (("only auditor", ours.found - shark.found),
                       ("only tshark", shark.found - ours.found)):
        if diff:
            print(f"  {name}: {sorted(diff)[:10]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
