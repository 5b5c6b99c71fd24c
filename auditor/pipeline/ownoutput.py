"""Recognise auditor's own output so a scan never judges it (issue 20, item 1).

A report saved in the repository (a CI baseline), the ``-o`` folder of the previous run,
a suppression file or an evidence bundle holds masked evidence (``••••(16)``) under keys
like ``secret``: scanned, it would be read as new secrets and fail the gate it was meant
to pass. Discovery asks :func:`own_output_kind` about every file (by its first bytes, so
a renamed report is still recognised) and :func:`own_output_dir` about every directory;
what is recognised is reported as ``skipped`` with the reason, never silently dropped.

Recognised by content:

=====================  ==============================================================
JSON report            ``"schema_version"`` and ``"tool": {"name": "auditor"`` at the top
SARIF                  a ``runs`` document whose ``tool.driver.name`` is ``auditor``
GitLab SAST report     ``"scanner": {"id": "auditor"`` in a ``vulnerabilities`` document
OSCAL                  ``assessment-results`` titled ``auditor assessment results``
CSV                    the exact header row of the CSV report (and of inventory.csv)
JUnit XML              ``<testsuites name="auditor"``
HTML                   ``<meta name="generator" content="auditor``
Markdown               first line ``## auditor: `` followed by the severity table
suppression file       YAML with a top-level ``suppressions:`` list of approved entries
evidence bundle        a directory whose ``manifest.json`` has our manifest ``kind``
virtual environment    a directory holding ``pyvenv.cfg`` (whatever it is called)
=====================  ==============================================================

The DOCX document is a ZIP archive that no scanner claims, so it is never judged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["OwnOutput", "own_output_dir", "own_output_kind"]

#: the manifest ``kind`` of evidence bundles (auditor.bundle.evidence.MANIFEST_KIND)
_MANIFEST_KIND = "auditor-evidence-manifest"
_CSV_HEADER = b"fingerprint,severity,rule_id,pack,title,cwe,uri,line,key,table,column,"
_INVENTORY_HEADER = (b"system,store,store_kind,table,column,flow,data,categories,"
                     b"classification,protection,")

_SIGNATURES: tuple[tuple[str, tuple[re.Pattern[bytes], ...]], ...] = (
    ("auditor JSON report", (
        re.compile(rb'\A\s*\{\s*"schema_version"\s*:\s*"\d+"'),
        re.compile(rb'"tool"\s*:\s*\{\s*"name"\s*:\s*"auditor"'))),
    ("auditor SARIF report", (
        re.compile(rb'\A\s*\{[^{}]*"runs"\s*:'),
        re.compile(rb'"driver"\s*:\s*\{\s*"name"\s*:\s*"auditor"'))),
    ("auditor GitLab SAST report", (
        re.compile(rb'\A\s*\{'),
        re.compile(rb'"scanner"\s*:\s*\{\s*"id"\s*:\s*"auditor"'))),
    ("auditor OSCAL report", (
        re.compile(rb'\A\s*\{\s*"assessment-results"'),
        re.compile(rb'"title"\s*:\s*"auditor assessment results'))),
    ("auditor CSV report", (re.compile(rb"\A(?:\xef\xbb\xbf)?" + re.escape(_CSV_HEADER)),)),
    ("auditor inventory CSV", (
        re.compile(rb"\A(?:\xef\xbb\xbf)?" + re.escape(_INVENTORY_HEADER)),)),
    ("auditor JUnit report", (
        re.compile(rb"\A(?:<\?xml[^>]*\?>\s*)?<testsuites name=\"auditor\""),)),
    ("auditor HTML report", (
        re.compile(rb"\A\s*<!DOCTYPE html>", re.IGNORECASE),
        re.compile(rb'<meta name="generator" content="auditor '))),
    ("auditor Markdown report", (
        re.compile(rb"\A## auditor: [^\n]*\n"),
        re.compile(rb"^\| critical \| high \| medium \| low \| info \|", re.MULTILINE))),
    ("auditor suppression file", (
        re.compile(rb"^suppressions:\s*$", re.MULTILINE),
        re.compile(rb"^\s*approved_by:", re.MULTILINE),
        re.compile(rb"^\s*expires:", re.MULTILINE))),
)


class OwnOutput(str):
    """The reason a path is ours (a ``str``: it goes straight into the skip message)."""


def own_output_kind(head: bytes) -> OwnOutput | None:
    """What kind of auditor output a file with these first bytes is, or None."""
    for label, patterns in _SIGNATURES:
        if all(p.search(head) for p in patterns):
            return OwnOutput(label)
    return None


def own_output_dir(path: Path) -> OwnOutput | None:
    """Why a directory must not be walked (an evidence bundle, a virtualenv), or None.
    A directory that cannot be looked into is not ours: the walk reports it."""
    try:
        return _own_dir(path)
    except OSError:
        return None


def _own_dir(path: Path) -> OwnOutput | None:
    if (path / "pyvenv.cfg").is_file():
        return OwnOutput("virtual environment (pyvenv.cfg)")
    manifest = path / "manifest.json"
    if manifest.is_file():
        try:
            with manifest.open("rb") as fh:
                head = fh.read(4096)
        except OSError:
            return None
        if re.search(rb'"kind"\s*:\s*"' + _MANIFEST_KIND.encode() + rb'"', head):
            return OwnOutput("auditor evidence bundle")
        try:  # NOTE: a manifest is small; the key may sit after a long header
            doc = json.loads(manifest.read_bytes()[:1 << 20])
        except (OSError, ValueError):
            return None
        if isinstance(doc, dict) and doc.get("kind") == _MANIFEST_KIND:
            return OwnOutput("auditor evidence bundle")
    return None
