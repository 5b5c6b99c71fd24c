"""Moved to the SDK: :mod:`auditor.sketch` (kept so that old imports still work)."""

from __future__ import annotations

from auditor.sketch import DistinctSketch

__all__ = ["DistinctSketch"]
