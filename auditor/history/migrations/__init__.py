"""Alembic migrations of the results store, run programmatically when a store is opened
(:func:`auditor.history.store.open_store`). New revisions go in ``versions/``."""
