"""The results store: runs, findings and compliance over time (pipeline side, not SDK).

``Store.open(url)`` opens (and migrates) a SQLite file or a PostgreSQL database;
``Store.record(result, SystemInfo(...))`` records a finished scan and advances the
lifecycle of its findings (:mod:`auditor.history.lifecycle`); the query methods answer
``auditor history``, ``auditor trend`` and dashboards. See :mod:`auditor.history.store`
for URLs and the default location.
"""

from auditor.history.ingest import Recorded, SystemInfo
from auditor.history.service import Store
from auditor.history.store import ENV_STORE, default_store_url, resolve_store_url

__all__ = ["ENV_STORE", "Recorded", "Store", "SystemInfo", "default_store_url",
           "resolve_store_url"]
