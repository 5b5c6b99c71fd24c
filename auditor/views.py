"""Small formatting helpers shared by the report renderers.

Renderers receive a finished, sorted :class:`~auditor.results.ScanResult` (STYLE.md habit 9);
these helpers only turn its records into display text: a one-line location, a compact
evidence string, per-framework compliance tallies. Nothing here reads raw values: evidence
is already masked by the scanners.
"""

from __future__ import annotations

import json
import posixpath
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import PurePosixPath
from urllib.parse import quote

from auditor.models import JSONValue, Location, Severity
from auditor.outcomes import OUTCOMES
from auditor.results import ComplianceItem, FrameworkRef, ScanResult

__all__ = [
    "COMPLIANCE_STATUSES",
    "CodeLocation",
    "FrameworkStatus",
    "SourceRoots",
    "code_location",
    "compliance_verdict",
    "evidence_text",
    "framework_statuses",
    "information_uri",
    "is_url",
    "location_label",
    "severities",
]

#: compliance outcomes in display order (auditor.outcomes; ``pass`` is ``no_finding``)
COMPLIANCE_STATUSES: tuple[str, ...] = OUTCOMES


def severities() -> tuple[Severity, ...]:
    """Severities from most to least severe."""
    return tuple(sorted(Severity, reverse=True))


def is_url(uri: str) -> bool:
    """True for a database URL (``postgresql://host/db``), false for a file path."""
    return "://" in uri and not uri.startswith("file://")


@dataclass(frozen=True, slots=True)
class SourceRoots:
    """Where relative report paths start (``cwd``: ``run.working_directory``) and what
    code-scanning paths are relative to (``root``: ``run.source_root``, the git work tree
    of the first scanned path). Reports saved before those fields keep paths as given."""

    cwd: PurePosixPath | None = None
    root: PurePosixPath | None = None

    @classmethod
    def of(cls, result: ScanResult) -> SourceRoots:
        cwd, root = result.extra.get("working_directory"), result.extra.get("source_root")
        if isinstance(cwd, str) and isinstance(root, str) and cwd.startswith("/") \
                and root.startswith("/"):
            return cls(PurePosixPath(cwd), PurePosixPath(root))
        return cls()

    def artifact(self, uri: str) -> dict[str, str]:
        """A file as a SARIF ``artifactLocation``: URL-quoted, relative to ``%SRCROOT%``,
        or an absolute ``file://`` URI for a file outside the root."""
        path = PurePosixPath(uri)
        if self.cwd is not None and self.root is not None:
            full = PurePosixPath(posixpath.normpath(str(self.cwd / path)))
            try:
                rel = full.relative_to(self.root)
            except ValueError:
                return {"uri": "file://" + quote(str(full))}
            return {"uri": quote(str(rel)), "uriBaseId": "%SRCROOT%"}
        if path.is_absolute():
            return {"uri": "file://" + quote(uri)}
        return {"uri": quote(uri), "uriBaseId": "%SRCROOT%"}

    def base_ids(self) -> dict[str, JSONValue]:
        if self.root is None:
            return {}
        return {"%SRCROOT%": {"uri": "file://" + quote(str(self.root).rstrip("/") + "/")}}


@dataclass(frozen=True, slots=True)
class CodeLocation:
    """A finding's location as code-scanning formats (SARIF, GitLab SAST) place it."""

    #: the file as a SARIF ``artifactLocation`` (None for a database or service URL)
    artifact: dict[str, str] | None
    #: 1-based line in the file, when known
    line: int | None
    #: ``schema.table`` or ``schema.table.column`` inside a store, else ""
    member: str
    key: str
    flow: str
    packet: int | None
    uri: str

    @property
    def file(self) -> str:
        """The file path code scanners show (relative to the source root), or for a
        store the URL with the member after ``#``."""
        from urllib.parse import unquote

        if self.artifact is None:
            return self.uri + (f"#{self.member}" if self.member else "")
        return unquote(self.artifact["uri"]).removeprefix("file://")


def code_location(loc: Location, roots: SourceRoots) -> CodeLocation:
    """Where a finding is, for SARIF and GitLab SAST (one mapping for both)."""
    member = (loc.table + (f".{loc.column}" if loc.column else "")) if loc.table else ""
    return CodeLocation(
        artifact=None if is_url(loc.uri) else roots.artifact(loc.uri),
        line=max(int(loc.line), 1) if loc.line is not None else None, member=member,
        key=loc.key or "", flow=loc.flow or "", packet=loc.packet, uri=loc.uri)


def location_label(loc: Location) -> str:
    """One line naming where a finding is: ``config/app.yaml:12 (db.password)``,
    ``postgresql://h/db main.citizens.cccd``, ``cap.pcap 10.0.0.1:5->10.0.0.2:80 #7``."""
    parts = [loc.uri + (f":{loc.line}" if loc.line is not None else "")]
    if loc.table:
        parts.append(loc.table + (f".{loc.column}" if loc.column else ""))
    elif loc.column:
        parts.append(loc.column)
    if loc.key:
        parts.append(f"({loc.key})")
    if loc.flow:
        parts.append(loc.flow)
    if loc.packet is not None:
        parts.append(f"#{loc.packet}")
    return " ".join(parts)


def evidence_text(evidence: Mapping[str, JSONValue], limit: int = 0) -> str:
    """Masked evidence as ``key=value, key=value`` (nested values as compact JSON).
    ``limit`` > 0 truncates with an ellipsis."""
    items = []
    for key, value in evidence.items():
        shown = value if isinstance(value, str) else json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        items.append(f"{key}={shown}")
    text = ", ".join(items)
    if limit > 0 and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


@dataclass(frozen=True, slots=True)
class FrameworkStatus:
    """Tallies of one framework's requirements in this run.

    ``counts`` are by outcome (:mod:`auditor.outcomes`). ``coverage`` is the share of
    requirements the automated checks could assess (no_finding + fail over all
    requirements); ``pass_rate`` the share of assessed ones without a finding.
    """

    id: str
    title: str
    title_vi: str
    items: tuple[ComplianceItem, ...]
    counts: Mapping[str, int]
    #: the framework ended before the assessed date (Decree 13 after 2025-12-31)
    expired: bool = False

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def assessed(self) -> int:
        return self.counts["no_finding"] + self.counts["fail"]

    @property
    def coverage(self) -> float:
        return self.assessed / self.total if self.total else 0.0

    @property
    def pass_rate(self) -> float:
        return self.counts["no_finding"] / self.assessed if self.assessed else 0.0

    def display_title(self, lang: str) -> str:
        """The title; "(no longer in force)" only when the assessed date is after the
        framework's end (review row 18)."""
        title = self.title_vi if lang == "vi" and self.title_vi else (self.title or self.id)
        if self.expired:
            title += " (đã hết hiệu lực)" if lang == "vi" else " (no longer in force)"
        return title


def compliance_verdict(result: ScanResult) -> tuple[int, int, int]:
    """(unsuppressed findings, requirements failed, requirements needing scoping): what a
    report's headline states, whatever the CI gate (``--fail-on``) decided."""
    outcomes = [c.result for c in result.compliance]
    return (len(result.active_findings), outcomes.count("fail"),
            outcomes.count("needs_scoping"))


def framework_statuses(result: ScanResult) -> tuple[FrameworkStatus, ...]:
    """One :class:`FrameworkStatus` per framework, in the order frameworks appear
    (declared frameworks first, then any framework only named by compliance items)."""
    refs: dict[str, FrameworkRef | None] = {f.id: f for f in result.frameworks}
    grouped: dict[str, list[ComplianceItem]] = {}
    for item in result.compliance:
        refs.setdefault(item.framework, None)
        grouped.setdefault(item.framework, []).append(item)
    out = []
    for fid, ref in refs.items():
        items = tuple(grouped.get(fid, ()))
        counts = Counter(i.result for i in items)
        end = ref.effective_to if ref else None
        out.append(FrameworkStatus(
            id=fid,
            title=ref.title if ref else fid,
            title_vi=ref.title_vi if ref else "",
            items=items,
            counts={s: counts.get(s, 0) for s in COMPLIANCE_STATUSES},
            expired=bool(end) and result.as_of.isoformat() > str(end),
        ))
    if result.lang == "vi":
        # NOTE: Vietnamese reports list Vietnamese law first (stable otherwise)
        out.sort(key=lambda fs: not fs.id.startswith("vn-"))
    return tuple(out)


def information_uri() -> str | None:
    """The project's home page from the installed package metadata, if declared."""
    try:
        meta = metadata("auditor")
    except PackageNotFoundError:
        return None
    urls: Iterable[str] = meta.get_all("Project-URL") or ()
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in {"homepage", "home", "source", "repository"}:
            return url.strip()
    return None
