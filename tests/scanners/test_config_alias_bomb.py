"""YAML alias bombs in Kubernetes and compose files (issue 17, item 5): the manifest path
never rebuilds a value an alias shares, so a few hundred bytes cannot grow into
gigabytes; each shared object is observed once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from auditor.scanners.config import ConfigScanner

from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanOptions


def laughs(levels: int, width: int = 9, indent: str = "") -> str:
    """Anchors ``l0`` .. ``lN``: each level a list of ``width`` aliases to the previous
    (``width ** levels`` leaves once expanded)."""
    lines = [f"{indent}l0: &l0 [\"lol\"]"]
    for i in range(1, levels + 1):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def k8s_bomb(levels: int) -> str:
    top = f"l{levels}"
    return (f"apiVersion: apps/v1\nkind: Deployment\nx-anchors:\n{laughs(levels, indent='  ')}"
            f"metadata:\n  name: *{top}\n  namespace: *{top}\n"
            "spec:\n  template:\n    spec:\n      containers:\n"
            f"        - name: *{top}\n          image: *{top}\n"
            f"          securityContext: {{capabilities: {{add: *{top}, drop: *{top}}}}}\n"
            f"          env: [{{name: DB_PASSWORD, value: *{top}}}]\n")


def list_bomb(levels: int) -> str:
    """``kind: List`` objects whose items alias the previous List (nested, exponential)."""
    out = ["apiVersion: v1", "kind: List", "x:",
           "  d0: &d0 {apiVersion: v1, kind: Pod, metadata: {name: p},"
           " spec: {containers: [{name: c, image: 'i:1'}]}}"]
    for i in range(1, levels + 1):
        out.append(f"  d{i}: &d{i} {{apiVersion: v1, kind: List, items: ["
                   + ", ".join([f"*d{i - 1}"] * 9) + "]}")
    out.append(f"items: [*d{levels}]")
    return "\n".join(out) + "\n"


def compose_bomb(levels: int) -> str:
    top = f"l{levels}"
    return (f"x-anchors:\n{laughs(levels, indent='  ')}services:\n  api:\n    image: *{top}\n"
            f"    user: *{top}\n    cap_add: *{top}\n    volumes: *{top}\n"
            f"    environment: {{DB_PASSWORD: *{top}}}\n")


def scan(path: Path) -> list[Observation | Problem]:
    target = Target(uri=path.name, locator=str(path), kind="yaml", scanner="config")
    return list(ConfigScanner().scan(target, ScanOptions(as_of=dt.date(2026, 1, 1),
                                                         hash_key=b"k")))


@pytest.mark.parametrize(("name", "make"), [
    ("deploy.yaml", k8s_bomb), ("list.yaml", list_bomb), ("compose.yaml", compose_bomb)])
def test_alias_bomb_output_stays_small(tmp_path: Path, name: str, make: object) -> None:
    """Five levels (59,049 leaves expanded) keep this fast on today's code too; what
    matters is that nothing of the expansion reaches the observations."""
    path = tmp_path / name
    path.write_text(make(5), encoding="utf-8")  # type: ignore[operator]
    items = scan(path)
    size = sum(len(json.dumps(o.attributes, default=str)) + len(json.dumps(o.evidence))
               for o in items if isinstance(o, Observation))
    assert size < 20_000, size
    assert len(items) < 200


def test_real_size_bomb_is_bounded_in_memory(tmp_path: Path) -> None:
    """The reported case: a few hundred bytes that expand past gigabytes. Run in a child
    limited to 1.5 GiB of address space: the old code died there with MemoryError."""
    path = tmp_path / "deploy.yaml"
    path.write_text(k8s_bomb(9), encoding="utf-8")
    assert path.stat().st_size < 1200
    child = textwrap.dedent(f"""
        import datetime as dt, resource
        from auditor.models import Observation, Target
        from auditor.scanner import ScanOptions
        from auditor.scanners.config import ConfigScanner
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
        target = Target(uri="deploy.yaml", locator={str(path)!r}, kind="yaml",
                        scanner="config")
        items = list(ConfigScanner().scan(target, ScanOptions(as_of=dt.date(2026, 1, 1),
                                                              hash_key=b"k")))
        print(sum(isinstance(i, Observation) for i in items))
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip()) >= 1
