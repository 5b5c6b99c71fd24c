"""A read-only web dashboard over the results store (``auditor serve``) and its static
snapshot (``auditor dashboard -o DIR``). See docs/dashboard.md."""
