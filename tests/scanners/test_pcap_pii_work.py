"""Personal-data detection of captures: cached verdicts, batches and worker processes give
exactly the observations of analysing every text alone, as it comes."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import auditor.scanners.pcap as pcap_module
from auditor.scanners.pcap import PcapScanner
from auditor.scanners.pcap import pii as pii_module
from pcap_support import AS_OF, KEY, ROOT

from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanOptions

sys.path.insert(0, str(ROOT / "fixtures"))


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo scenarios plus ~6 MB of bulk and cleartext portal traffic (forms, JSON,
    mail, FTP) where every visitor gets the same form page."""
    from gen_pcap import generate

    path = tmp_path_factory.mktemp("portal") / "portal.pcap"
    generate(path, None, bulk_mb=6.0)
    return path


def _scan(path: Path, workers: int = 1, **params: object) -> list[Observation | Problem]:
    target = Target(uri=path.name, locator=str(path), kind="pcap", scanner="pcap")
    options = ScanOptions(as_of=AS_OF, hash_key=KEY, params=params,  # type: ignore[arg-type]
                          workers=workers)
    return list(PcapScanner().scan(target, options))


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's reference: no cache, every text analysed alone as it comes."""
    monkeypatch.setattr(pii_module, "CACHE_ENTRIES", 0)
    monkeypatch.setattr(pii_module, "BATCH_TEXTS", 1)


def test_cache_batches_and_workers_give_the_same_observations(
        portal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batched = _scan(portal)
    with monkeypatch.context() as patch:
        # NOTE: workers from the first batch (the portal has less text than POOL_AFTER)
        patch.setattr(pii_module, "POOL_AFTER", 0)
        parallel = _scan(portal, workers=2)
    with monkeypatch.context() as patch:
        # NOTE: small batches: repeats are answered from the cache, not the batch; the
        # workers start part way through
        patch.setattr(pii_module, "BATCH_TEXTS", 3)
        patch.setattr(pii_module, "POOL_AFTER", 2000)
        cached = _scan(portal)
        small_parallel = _scan(portal, workers=2)
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        reference = _scan(portal)
    pii = [o for o in reference if isinstance(o, Observation) and o.kind == "net.pii"]
    # NOTE: the portal's servers (HTTP, SMTP) and the demo's: personal data was found
    assert len(pii) >= 5
    assert {o.attributes["protocol"] for o in pii} >= {"http", "smtp"}
    assert batched == reference
    assert parallel == reference
    assert cached == reference
    assert small_parallel == reference
    assert multiprocessing.active_children() == []


def test_workers_start_only_when_the_text_pays(portal: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    started: list[int] = []
    real = concurrent.futures.ProcessPoolExecutor

    def pool(*args: Any, **kwargs: Any) -> Any:
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", pool)
    alone = _scan(portal, workers=2)
    assert started == []  # a few hundred kB of text: analysed here, no worker started
    monkeypatch.setattr(pii_module, "POOL_AFTER", 0)
    assert _scan(portal, workers=2) == alone
    assert started == [1]
    assert multiprocessing.active_children() == []


def test_repeated_payloads_are_analysed_once(portal: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[pii_module.PiiDetection] = []

    def detection(options: ScanOptions) -> pii_module.PiiDetection | None:
        found = pii_module.pii_detection(options)
        assert found is not None
        made.append(found)
        return found

    monkeypatch.setattr(pcap_module, "pii_detection", detection)
    _scan(portal)
    work = made[0]
    # NOTE: the same form page, API paths and sender address on every visit
    assert work.texts > 80
    assert work.analysed < work.texts * 0.75


def test_no_detection_at_all_when_switched_off(portal: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(texts: list[str]) -> Any:
        raise AssertionError("the PII engine was called")

    monkeypatch.setattr(pii_module, "_find", boom)
    items = _scan(portal, **{"pcap.pii": False})
    assert not [o for o in items if isinstance(o, Observation) and o.kind == "net.pii"]

