"""Generated history for dashboard tests and the benchmark: systems of several agencies,
a run a day, findings that appear, persist, get fixed and come back, and requirement
results that follow them. Deterministic for a given seed. Recorded through the real
``Store.record`` (the same path as ``auditor run``)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from auditor.history import Store, SystemInfo
from auditor.models import Location, Severity
from auditor.results import ComplianceItem, Finding, ScanResult, Suppression, TargetResult

T0 = dt.datetime(2026, 1, 1, 1, 0)
OWNERS = ("Sở Y tế Hà Nội", "Bộ Tài chính", "UBND TP. Hồ Chí Minh", "Bảo hiểm xã hội")
#: a scanned file name holding markup: it must stay inert text on every page
MARKUP = '<img src=x onerror="document.title=\'pwned\'">'
MARKUP_URI = f"/srv/data/{MARKUP}.csv"
REQUIREMENTS = (("vn-pdpl-2025", "L91-protection-measures", ("core.secret.",)),
                ("vn-pdpl-2025", "D356-Art4-sensitive", ("core.pii.",)),
                ("vn-pdpl-2025", "L91-protection-transmission", ("core.tls.",)),
                ("vn-pdpl-2025", "L91-Art20", ()),
                ("iso27001-2022", "A.5.17", ("core.secret.",)),
                ("iso27001-2022", "A.8.2", ()))
RULES = (("core.secret.password-assignment", "critical"), ("core.pii.cccd-column", "high"),
         ("core.tls.weak-protocol", "medium"), ("core.pii.phone-plaintext", "low"),
         ("core.config.debug-enabled", "info"))


def _finding(system: int, i: int, *, markup: bool, suppressed: bool) -> Finding:
    rule, sev = RULES[i % len(RULES)]
    uri = MARKUP_URI if markup and i == 0 else f"/srv/app{system}/file{i}.yaml"
    title = f"{MARKUP} in table" if markup and i == 0 else f"{rule.split('.')[-1]} #{i}"
    sup = Suppression("file", "chấp nhận rủi ro tạm thời", "ciso", "2027-03-31") \
        if suppressed else None
    return Finding(fingerprint=f"fp-{system}-{i:03d}", rule_id=rule, pack="core", title=title,
                   severity=Severity.parse(sev), cwe=("CWE-359",), message=f"finding {i}",
                   location=Location(uri, key=f"key{i}"), kind="secret",
                   evidence={"value": "••••(12)", "column": f"col_{i}"},
                   subjects=(i + 1) * 100 if "pii" in rule else None,
                   remediation="Xoá hoặc mã hoá giá trị.", suppressed=sup is not None,
                   suppression=sup)


def scan(system: int, run: int, pool: int, *, markup: bool = False,
         rng_seed: int = 7) -> ScanResult:
    rng = random.Random(rng_seed * 1_000_003 + system * 10_007 + run)
    # NOTE: each finding lives in windows: present while (run + phase) % period < duty
    present = []
    for i in range(pool):
        frng = random.Random(rng_seed + system * 1000 + i)
        period, phase = frng.randint(20, 120), frng.randint(0, 200)
        duty = int(period * (0.05 + 0.35 * frng.random()))
        if system % 4 == 3 and RULES[i % len(RULES)][1] not in ("low", "info"):
            continue  # NOTE: a well-kept system: only low and info findings (amber/green)
        if (run + phase) % period < duty:
            present.append(_finding(system, i, markup=markup, suppressed=(i % 10 == 4)))
    compliance = []
    for fw, req, prefixes in REQUIREMENTS:
        if not prefixes:
            status = "manual" if req == "L91-Art20" else "not_assessed"
        else:
            hit = any(f.rule_id.startswith(prefixes) and not f.suppressed for f in present)
            status = "fail" if hit else "pass"
        compliance.append(ComplianceItem(fw, req, status))
    started = T0 + dt.timedelta(days=run, minutes=system * 7 + rng.randint(0, 5))
    return ScanResult(tool_version="0.1.0", run_id=f"run-{rng_seed}-{system}-{run}",
                      started_at=started.isoformat() + "Z",
                      finished_at=(started + dt.timedelta(seconds=42)).isoformat() + "Z",
                      as_of=started.date(), packs=(),
                      targets=(TargetResult(f"/srv/app{system}", "dir", "config", "ok"),),
                      findings=tuple(present), compliance=tuple(compliance))


def seed(store: Store, systems: int, runs: int, *, pool: int = 30,
         markup_system: int | None = 0, report_dirs: Sequence[str] | None = None) -> None:
    """Record ``runs`` daily runs of ``systems`` systems; system ``markup_system`` has a
    finding in a file whose name is markup. ``report_dirs[s]``, when given, is recorded as
    the report folder of system s's newest run."""
    for r in range(runs):
        for s in range(systems):
            info = SystemInfo(name=f"he-thong-{s:02d}", owner=OWNERS[s % len(OWNERS)],
                              title=f"Hệ thống số {s}", level=1 + s % 5,
                              scope=(f"/srv/app{s}", "/srv/data"))
            folder = report_dirs[s] if report_dirs and r == runs - 1 else None
            store.record(scan(s, r, pool, markup=(s == markup_system)), info,
                         report_dir=folder)
