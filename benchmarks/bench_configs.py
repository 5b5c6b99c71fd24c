"""Config-tree benchmark: auditor's config scanner against ``detect-secrets scan``.

Generates (once, deterministically) a tree of mixed config files under
``benchmarks/.data/configs-vV-N/`` — YAML, JSON, TOML, INI, .env, .properties, Kubernetes
manifests and docker-compose files — with planted secrets (known file and line) and
decoys that are not secrets (references, placeholders, UUIDs, digests). Then, in one run:

- ``auditor scan TREE --pack core --jobs J --format json`` (in-process, full pipeline:
  discovery, parsing, detection, rules, report);
- ``detect-secrets -c J scan --all-files TREE``;
- for reference, discovery plus the config scanner alone (no rules, no report), in-process;

and prints files/s (wall clock and per CPU second: the CPU figure is the one to trust on a
shared machine), secret recall against the planted truth, and reports on decoy lines,
side by side. Usage::

    python benchmarks/bench_configs.py [--files 10000] [--scale 1.0] [--jobs 1] [--repeat 1]

``detect-secrets`` is looked up next to this Python, then on PATH (``nox -s bench``
installs it into the bench environment; it is never a dependency of auditor).
Exit status: 0 when both tools ran, 1 when detect-secrets is missing, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import random
import resource
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

__all__ = ["generate_tree", "main"]

DATA = Path(__file__).resolve().parent / ".data"
TREE_VERSION = 2  # NOTE: bump when the generator changes, so cached trees are remade
ALNUM = string.ascii_letters + string.digits
FORMATS = ("yaml", "json", "toml", "ini", "env", "properties", "k8s", "compose")
Pair = tuple[str, str, str]  # (key, value, label: "" | "secret:<type>" | "decoy")


def _secret(rng: random.Random, kind: str) -> str:
    def pick(alphabet: str, n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))
    if kind == "aws":
        return "AKIA" + pick(string.ascii_uppercase + "234567", 16)
    if kind == "github":
        return "ghp_" + pick(ALNUM, 36)
    if kind == "slack":
        return f"xoxb-{pick(string.digits, 11)}-{pick(string.digits, 12)}-{pick(ALNUM, 24)}"
    if kind == "stripe":
        return "sk_live_" + pick(ALNUM, 24)
    if kind == "jwt":
        head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        body = base64.urlsafe_b64encode(
            json.dumps({"sub": pick(ALNUM, 8), "iat": rng.randrange(10**9)}).encode())
        return f"{head}.{body.decode().rstrip('=')}.{pick(ALNUM + '-_', 43)}"
    if kind == "url":
        return f"postgresql://app:{pick(ALNUM, 14)}@db-{rng.randrange(99)}.internal:5432/app"
    if kind == "password":
        return pick(ALNUM, 10) + rng.choice("!#%") + pick(ALNUM, 5)
    if kind == "entropy":
        return pick(ALNUM, 40)
    if kind == "pem":
        pem_body = base64.b64encode(bytes(rng.randrange(256) for _ in range(240))).decode()
        rows = [pem_body[i:i + 64] for i in range(0, len(pem_body), 64)]
        return "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *rows,
                          "-----END RSA PRIVATE KEY-----"])
    raise ValueError(kind)


SECRET_KEYS = {"aws": "aws_access_key_id", "github": "ci_token", "slack": "slack_bot",
               "stripe": "stripe_key", "jwt": "bearer", "url": "database_url",
               "password": "db_password", "entropy": "session_cookie_salt", "pem": "tls_key"}


def _decoy(rng: random.Random) -> tuple[str, str]:
    return rng.choice([
        ("db_password", "${DB_PASSWORD}"), ("api_token", "changeme"),
        ("request_id", str(uuid.UUID(int=rng.getrandbits(128)))),
        ("checksum", "".join(rng.choice("0123456789abcdef") for _ in range(64))),
        ("client_secret", "<your-client-secret>"), ("password_file", "/run/secrets/db"),
        ("commit", "".join(rng.choice("0123456789abcdef") for _ in range(40))),
        ("secret_key", "{{ .Values.secretKey }}"),
    ])


def _pairs(rng: random.Random, fmt: str) -> list[Pair]:
    pairs: list[Pair] = [(f"setting_{i}", rng.choice(
        ["true", "false", str(rng.randrange(10000)), "info", "vi_VN", "https://portal.example.vn",
         "/var/lib/app", "Cổng dịch vụ công"]), "") for i in range(rng.randrange(12, 30))]
    if rng.random() < 0.25:
        kinds = [k for k in SECRET_KEYS if not (k == "pem" and fmt in {"properties", "env",
                                                                         "k8s", "compose"})]
        kind = rng.choice(kinds)
        pairs.insert(rng.randrange(len(pairs)), (SECRET_KEYS[kind], _secret(rng, kind),
                                                 f"secret:{kind}"))
    if rng.random() < 0.5:
        key, value = _decoy(rng)
        if key not in {k for k, _, _ in pairs}:  # NOTE: a repeated key is invalid TOML/JSON
            pairs.insert(rng.randrange(len(pairs)), (key, value, "decoy"))
    return pairs


def _render(fmt: str, pairs: list[Pair], name: str) -> tuple[str, dict[int, str]]:
    """File text and {line: label} of the labelled pairs (the line where each starts)."""
    lines: list[str] = []
    labels: dict[int, str] = {}

    def add(text: str, label: str = "", offset: int = 0) -> None:
        if label:
            labels[len(lines) + 1 + offset] = label
        lines.extend(text.split("\n"))

    section = "app"
    if fmt in {"yaml", "k8s", "compose"}:
        if fmt == "k8s":
            add(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:")
        elif fmt == "compose":
            add(f"services:\n  {name}:\n    image: registry.example.vn/{name}:1.0\n"
                "    environment:")
        else:
            add(f"{section}:")
        indent = "      " if fmt == "compose" else "  "
        for key, value, label in pairs:
            if value.startswith("-----BEGIN"):
                add(f"{indent}{key}: |\n" + "\n".join(indent + "  " + v
                                                    for v in value.split("\n")), label, 1)
            else:
                add(f"{indent}{key}: {json.dumps(value, ensure_ascii=False)}", label)
    elif fmt == "json":
        add(f'{{\n  "{section}": {{')
        for i, (key, value, label) in enumerate(pairs):
            comma = "," if i < len(pairs) - 1 else ""
            add(f"    {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}", label)
        add("  }\n}")
    elif fmt == "toml":
        add(f"[{section}]")
        for key, value, label in pairs:
            if value.startswith("-----BEGIN"):
                add(f'{key} = """\n{value}\n"""', label, 1)
            else:
                add(f"{key} = {json.dumps(value, ensure_ascii=False)}", label)
    elif fmt == "ini":
        add(f"[{section}]")
        for key, value, label in pairs:
            if value.startswith("-----BEGIN"):
                add(f"{key} =\n" + "\n".join("    " + v for v in value.split("\n")), label, 1)
            else:
                add(f"{key} = {value}", label)
    elif fmt == "env":
        for key, value, label in pairs:
            add(f"{key.upper()}={value}", label)
    else:  # properties
        for key, value, label in pairs:
            add(f"{section}.{key.replace('_', '.')}={value}", label)
    return "\n".join(lines) + "\n", labels


_FILE_NAMES = {"yaml": "config.yaml", "json": "settings.json", "toml": "settings.toml",
               "ini": "service.ini", "env": ".env", "properties": "application.properties",
               "k8s": "configmap.yaml", "compose": "docker-compose.yml"}


def generate_tree(files: int, root: Path = DATA, seed: int = 6) -> tuple[Path, dict[str, str]]:
    """The tree (generated once per size) and its truth {"relpath:line": label}."""
    tree = root / f"configs-v{TREE_VERSION}-{files}"
    truth_file = root / f"configs-v{TREE_VERSION}-{files}.truth.json"
    if truth_file.is_file() and tree.is_dir():
        return tree, json.loads(truth_file.read_text())
    if tree.exists():
        shutil.rmtree(tree)
    rng = random.Random(seed)
    truth: dict[str, str] = {}
    for i in range(files):
        fmt = FORMATS[i % len(FORMATS)]
        rel = f"svc-{i // 100:03d}/{i % 100:02d}-{fmt}/{_FILE_NAMES[fmt]}"
        text, labels = _render(fmt, _pairs(rng, fmt), f"svc{i}")
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        truth.update({f"{rel}:{line}": label for line, label in labels.items()})
    truth_file.write_text(json.dumps(truth, sort_keys=True))
    return tree, truth


def _score(name: str, seconds: float, cpu: float, *, files: int, reported: set[str],
           truth: dict[str, str]) -> dict[str, object]:
    planted = {k for k, v in truth.items() if v.startswith("secret:")}
    decoys = {k for k, v in truth.items() if v == "decoy"}
    by_type: dict[str, list[int]] = {}
    for k in planted:
        by_type.setdefault(truth[k].split(":", 1)[1], [0, 0])[1] += 1
        if k in reported:
            by_type[truth[k].split(":", 1)[1]][0] += 1
    return {"tool": name, "seconds": round(seconds, 2), "files_per_s": round(files / seconds, 1),
            "cpu_seconds": round(cpu, 2), "files_per_cpu_s": round(files / max(cpu, 1e-9), 1),
            "recall": round(len(planted & reported) / max(len(planted), 1), 4),
            "found": len(planted & reported), "planted": len(planted),
            "decoys_reported": len(decoys & reported), "decoys": len(decoys),
            "other_reports": len(reported - planted - decoys),
            "recall_by_type": {t: f"{a}/{b}" for t, (a, b) in sorted(by_type.items())}}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (less noisy than wall time
    on a shared machine)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_auditor(tree: Path, jobs: int) -> tuple[float, float, set[str]]:
    from auditor.cli import main as auditor_main
    with tempfile.TemporaryDirectory() as out:
        start, cpu = time.perf_counter(), _cpu()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            auditor_main(["scan", str(tree), "--pack", "core", "--jobs", str(jobs),
                          "--format", "json", "-o", out, "--fail-on", "never"])
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        report = json.loads((Path(out) / "report.json").read_text(encoding="utf-8"))
    prefix = tree.name + "/"
    reported = {f"{f['location']['uri'].split(prefix, 1)[-1]}:{f['location'].get('line')}"
                for f in report["findings"] if f["rule_id"].startswith("core.secret.")}
    return seconds, cpu, reported


def run_scanner_only(tree: Path) -> tuple[float, float, set[str]]:
    """Discovery and the config scanner alone (no rules, no report): where the time goes."""
    import datetime as dt

    from auditor.models import Observation
    from auditor.pipeline.discovery import discover
    from auditor.pipeline.plugins import load_scanners
    from auditor.scanner import ScanOptions
    scanners = load_scanners()
    options = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=b"bench")
    reported: set[str] = set()
    start, cpu = time.perf_counter(), _cpu()
    targets, _ = discover([str(tree)], scanners)
    prefix = tree.name + "/"
    for target in targets:
        for item in scanners[target.scanner].scan(target, options):
            if isinstance(item, Observation) and item.kind == "secret" \
                    and item.attributes.get("confidence") in ("high", "medium"):
                reported.add(f"{target.uri.split(prefix, 1)[-1]}:{item.location.line}")
    return time.perf_counter() - start, _cpu() - cpu, reported


def _detect_secrets() -> str | None:
    local = Path(sys.executable).with_name("detect-secrets")
    return str(local) if local.is_file() else shutil.which("detect-secrets")


def run_detect_secrets(exe: str, tree: Path, jobs: int) -> tuple[float, float, set[str]]:
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run([exe, "-c", str(jobs), "scan", "--all-files", "."], cwd=tree,
                          capture_output=True, text=True, check=True)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    results = json.loads(done.stdout)["results"]
    return seconds, cpu, {f"{name}:{item['line_number']}" for name, items in results.items()
                     for item in items}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies --files")
    parser.add_argument("--jobs", type=int, default=1, help="processes for both tools")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=1,
                        help="interleaved runs per tool; the median time is reported "
                             "(use on a shared, noisy machine)")
    args = parser.parse_args(argv)
    files = max(8, int(args.files * args.scale))
    os.environ.setdefault("AUDITOR_HASH_KEY", "bench")
    tree, truth = generate_tree(files, args.data)
    exe = _detect_secrets()
    ours: list[tuple[float, float]] = []
    alone: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    their_reports: set[str] = set()
    for _ in range(max(1, args.repeat)):
        seconds, cpu, reported = run_auditor(tree, args.jobs)
        ours.append((seconds, cpu))
        seconds, cpu, alone_reports = run_scanner_only(tree)
        alone.append((seconds, cpu))
        if exe is not None:
            seconds, cpu, their_reports = run_detect_secrets(exe, tree, args.jobs)
            theirs.append((seconds, cpu))

    def median(runs: list[tuple[float, float]], i: int) -> float:
        return statistics.median(r[i] for r in runs)
    rows = [_score("auditor scan", median(ours, 0), median(ours, 1), files=files,
                   reported=reported, truth=truth)]
    if exe is not None:
        rows.append(_score("detect-secrets scan", median(theirs, 0), median(theirs, 1),
                           files=files, reported=their_reports, truth=truth))
    rows.append(_score("(config scanner)", median(alone, 0), median(alone, 1), files=files,
                       reported=alone_reports, truth=truth))
    print(f"config tree: {files} files, {sum(v.startswith('secret:') for v in truth.values())} "
          f"planted secrets, {sum(v == 'decoy' for v in truth.values())} decoys, "
          f"jobs={args.jobs}, median of {max(1, args.repeat)} interleaved run(s)")
    header = ("tool", "seconds", "files_per_s", "cpu_seconds", "files_per_cpu_s", "recall",
              "found", "planted", "decoys_reported", "other_reports")
    print(" ".join(f"{h:>15}" for h in header))
    for row in rows:
        print(" ".join(f"{row[h]!s:>15}" for h in header))
    for row in rows:
        print(f"{row['tool']}: recall by type {row['recall_by_type']}")
    if exe is None:
        print("detect-secrets is not installed: `pip install detect-secrets` in the bench "
              "environment (nox -s bench does)", file=sys.stderr)
        return 1
    def ratio(field: str) -> float:
        return float(str(rows[0][field])) / float(str(rows[1][field]))
    print(f"throughput ratio auditor/detect-secrets: {ratio('files_per_s'):.2f}x wall, "
          f"{ratio('files_per_cpu_s'):.2f}x CPU (target >= 3x); "
          f"recall {rows[0]['recall']} vs {rows[1]['recall']} (target: not lower)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
