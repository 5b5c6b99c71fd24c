"""PII detection, Vietnamese-first, fully offline (see docs/pii.md).

Public API (used by the database, dump, config and capture scanners)::

    from auditor.pii import get_detector, classify_column

    detector = get_detector()                      # cached per process
    detector.detect("SĐT: 0912 345 678")           # [Entity(type='VN_PHONE', ...)]
    classify_column(detector, "so_dien_thoai", values, table="khach_hang",
                    hash_key=key).to_attributes()
"""

from __future__ import annotations

from auditor.pii.columns import ColumnVerdict, classify_column, name_signal
from auditor.pii.config import ALL_TYPES, CATEGORIES, DetectorConfig, Entity
from auditor.pii.detector import PiiDetector, PiiEngineError, get_detector

__all__ = [
    "ALL_TYPES",
    "CATEGORIES",
    "ColumnVerdict",
    "DetectorConfig",
    "Entity",
    "PiiDetector",
    "PiiEngineError",
    "classify_column",
    "get_detector",
    "name_signal",
]
