"""The config-tree benchmark's corpus: deterministic, truth lines right, and the scanner
finds every planted secret and none of the decoys on a small tree (no timing here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_configs", REPO / "benchmarks" / "bench_configs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tree_is_deterministic_and_truth_points_at_the_planted_keys(tmp_path: Path) -> None:
    bench = _bench()
    tree_a, truth_a = bench.generate_tree(64, tmp_path / "a")
    tree_b, truth_b = bench.generate_tree(64, tmp_path / "b")
    assert truth_a == truth_b and any(v.startswith("secret:") for v in truth_a.values())
    files = sorted(p.relative_to(tree_a) for p in tree_a.rglob("*") if p.is_file())
    assert len(files) == 64
    for rel in files:
        assert (tree_a / rel).read_bytes() == (tree_b / rel).read_bytes()
    for spot, label in truth_a.items():
        rel, line = spot.rsplit(":", 1)
        text = (tree_a / rel).read_text(encoding="utf-8").split("\n")[int(line) - 1]
        if label.startswith("secret:"):
            kind = label.split(":", 1)[1]
            assert (kind == "pem" and "BEGIN" in text) \
                or bench.SECRET_KEYS[kind] in text.lower().replace(".", "_")


def test_scanner_finds_every_planted_secret_and_no_decoy(tmp_path: Path) -> None:
    bench = _bench()
    tree, truth = bench.generate_tree(96, tmp_path)
    _, _, reported = bench.run_scanner_only(tree)
    planted = {k for k, v in truth.items() if v.startswith("secret:")}
    decoys = {k for k, v in truth.items() if v == "decoy"}
    assert planted and decoys
    assert planted <= reported
    assert not decoys & reported
