"""The offline NLP engines give Presidio tokens and folded lemmas for context words."""

from __future__ import annotations

import pytest

from auditor.pii.engine import OfflineSpacyNlpEngine, TokenNlpEngine


@pytest.mark.parametrize("engine", [TokenNlpEngine(), OfflineSpacyNlpEngine(None)],
                         ids=["tokens", "blank-spacy"])
def test_tokens_and_folded_lemmas(engine: TokenNlpEngine | OfflineSpacyNlpEngine) -> None:
    engine.load()
    text = "Số CCCD:079203012345, Điện thoại 0912"
    artifacts = engine.process_text(text, "en")
    tokens = [str(t) for t in artifacts.tokens]
    assert "079203012345" in tokens and "CCCD" in tokens
    assert [text[i:i + len(t)] for i, t in zip(artifacts.tokens_indices, tokens,
                                               strict=True)] == tokens
    assert {"so", "cccd", "dien", "thoai"} <= set(artifacts.lemmas)
    assert {"so", "cccd"} <= set(artifacts.keywords)   # no English stop-word filtering
